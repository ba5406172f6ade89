"""`feedlens run`: mitmproxy with the feedlens add-on and the companion service, in one loop.

The add-on is the one `mitmdump -s "$(feedlens addon-path)"` loads, so the three ways of
running feedlens share one code path.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from . import __version__, paths
from .settings import MARK_STYLES

CA_FILE = "mitmproxy-ca-cert.pem"


def add_run_parser(subparsers) -> argparse.ArgumentParser:
    run = subparsers.add_parser("run", help="run the proxy and the companion service")
    run.add_argument("--listen-host", default="127.0.0.1",
                     help="proxy address (0.0.0.0 to let a phone on your network use it)")
    run.add_argument("--listen-port", type=int, default=8080)
    run.add_argument("--service-port", type=int, default=8787, help="companion service port")
    run.add_argument("--data-dir", help="item log, token, CA (default: $XDG_DATA_HOME/feedlens)")
    run.add_argument("--profile", default="", help="profile name or file (default: last chosen)")
    run.add_argument("--resolve", action="append", default=[], metavar="HOST=IP:PORT",
                     help="connect to IP:PORT for HOST, like curl --resolve (repeatable)")
    # SUPPRESS: do not overwrite `feedlens --rules DIR run` with an empty default.
    run.add_argument("--rules", default=argparse.SUPPRESS, help="rules directory")
    run.add_argument("--mark-style", choices=MARK_STYLES, default="profile",
                     help="title prefixes in rewritten bodies (default: as the profile says)")
    run.add_argument("--device-auth", nargs="?", const="any", default=None, metavar="HTPASSWD",
                     help="tell devices apart by proxy user name, for per-device profiles: any name "
                          "and password, or only the users of this htpasswd file")
    run.add_argument("--upstream-ca", metavar="PEM",
                     help="also trust these CAs for upstream servers (private or test servers)")
    run.add_argument("--open", action="store_true",
                     help="open the dashboard in your web browser (logged in)")
    run.set_defaults(func=cmd_run)
    return run


def cmd_run(args) -> int:
    return asyncio.run(_run(args))


def _data_dir(args) -> Path:
    return paths.data_dir(args.data_dir).resolve()


def _options(args, data_dir: Path) -> tuple[dict, dict]:
    """(mitmproxy options, feedlens options); the latter are set once the add-on declares them."""
    mitm = {"listen_host": args.listen_host, "listen_port": args.listen_port,
            "confdir": str(data_dir / "mitmproxy")}
    if args.upstream_ca:
        mitm["ssl_verify_upstream_trusted_ca"] = str(Path(args.upstream_ca).resolve())
    device_auth = getattr(args, "device_auth", None)
    if device_auth:
        # "any": the name says which device it is and nothing is checked; an htpasswd file makes
        # the names authenticated, so a child cannot pose as the parent's device.
        mitm["proxyauth"] = "any" if device_auth == "any" else "@" + str(Path(device_auth).resolve())
    ours = {"feedlens_data_dir": str(data_dir), "feedlens_service_port": args.service_port,
            "feedlens_profile": args.profile, "feedlens_mark_style": args.mark_style,
            "feedlens_resolve": list(args.resolve)}
    if getattr(args, "rules", None):
        ours["feedlens_rules"] = str(Path(args.rules).resolve())
    return mitm, ours


def load_addon():
    from .addons import FeedLens  # mitmproxy is imported only when the proxy runs

    return FeedLens()


async def _run(args) -> int:
    from mitmproxy import exceptions, options
    from mitmproxy.tools.dump import DumpMaster

    logging.getLogger().setLevel(logging.INFO)  # mitmproxy's term log filters further
    logging.getLogger("mitmproxy.proxy.server").setLevel(logging.WARNING)  # per-connection chatter
    data_dir = _data_dir(args)
    mitm, ours = _options(args, data_dir)
    (data_dir / "mitmproxy").mkdir(parents=True, exist_ok=True)
    opts = options.Options()
    master = DumpMaster(opts, with_termlog=True, with_dumper=False)
    try:
        opts.update(**mitm)
        addon = load_addon()
        master.addons.add(addon, Banner(args, data_dir, addon))
        opts.update(**ours)  # configures the add-on, now that it is in the chain
    except exceptions.OptionsError as exc:
        print(f"feedlens run: {exc}", file=sys.stderr)
        return 2
    _install_signals(master)
    await master.run()  # startup errors exit through mitmproxy's errorcheck
    return 0


def _install_signals(master) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, master.shutdown)
        except (NotImplementedError, RuntimeError):  # not on this platform / thread
            pass


class Banner:
    """Prints where everything is once the proxy and the service are up."""

    def __init__(self, args, data_dir: Path, addon):
        self.args, self.data_dir, self.addon = args, data_dir, addon

    def running(self) -> None:
        if self.addon.service is not None:  # else the add-on logged why, and mitmproxy exits
            from .service import dashboard_link
            link = dashboard_link(self.addon.service)  # one-time: opens once, then useless
            print(banner(self.args, self.data_dir, link), flush=True)
            if getattr(self.args, "open", False):
                import webbrowser  # its own link: the printed one stays good for another browser
                webbrowser.open(dashboard_link(self.addon.service))


def banner(args, data_dir: Path, link: str | None = None) -> str:
    ca = data_dir / "mitmproxy" / CA_FILE
    host = "127.0.0.1" if args.listen_host in ("", "0.0.0.0", "::") else args.listen_host
    return "\n".join([
        f"feedlens {__version__} is running",
        f"  proxy      http://{host}:{args.listen_port}  (HTTP and HTTPS proxy for your browser or phone"
        + (", on every interface)" if args.listen_host in ("", "0.0.0.0", "::") else ")"),
        f"  CA cert    {ca}",
        "             trust it once, then HTTPS feeds can be read:",
        f"               Firefox: Settings > Privacy & Security > Certificates > View > Import {ca.name}",
        f"               Chrome/Chromium on Linux (NSS): certutil -d sql:$HOME/.pki/nssdb -A -t C,, "
        f"-n feedlens -i {ca}",
        f"               system (Debian, curl): sudo cp {ca} /usr/local/share/ca-certificates/feedlens.crt"
        " && sudo update-ca-certificates",
        f"               macOS: sudo security add-trusted-cert -d -p ssl -k /Library/Keychains/System.keychain {ca}",
        "               phone: set the Wi-Fi proxy to this machine, open http://mitm.it and follow the steps",
        f"  dashboard  {link or f'http://127.0.0.1:{args.service_port}/'}",
        "             (open this link once to log in; API token in "
        f"{data_dir / 'token'})",
        *(["  devices    by proxy user name: set e.g. http://kid-tablet:x@HOST:PORT as each "
           "device's proxy"] if getattr(args, "device_auth", None) else []),
        f"  data       {data_dir}",
        "  Ctrl-C stops.",
    ])
