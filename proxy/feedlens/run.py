"""`feedlens run`: mitmproxy with the feedlens add-on and the companion service, in one loop.

The add-on is the one `mitmdump -s "$(feedlens addon-path)"` loads, so the three ways of
running feedlens share one code path.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import re
import signal
import socket
import sys
from pathlib import Path

from . import __version__, paths, private
from .addresses import host_port, lan_address, parse_household
from .clierror import CliError, profile_path
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
    # one dest, one default (argparse keeps the first action's default): 300 seconds
    run.add_argument("--no-pack-updates", dest="pack_check", action="store_const", const=0, default=300,
                     help="do not check subscribed rule packs for updates in the background")
    run.add_argument("--pack-check-seconds", dest="pack_check", type=int, default=300,
                     help="seconds between background checks of subscribed rule packs (default 300)")
    run.add_argument("--counterfactual", action="store_true",
                     help="opt-in: for Douyin, Weibo, Zhihu and Xiaohongshu (nothing of the switch shows "
                          "on the wire), once you declared personalised recommendations off, fetch the "
                          "same feed again without your login (no cookie or token is sent) and report a "
                          "suspected revert when it differs from your baseline (default: off)")
    run.add_argument("--counterfactual-interval", type=int, default=30 * 60, metavar="SECONDS",
                     help="at most one such fetch per platform per this many seconds (at least 60; "
                          "default 1800, 30 minutes)")
    run.add_argument("--household", metavar="LAN_ADDRESS[:PORT]",
                     help="household mode: also serve the parent's dashboard, the PAC file and device "
                          "enrolment on this LAN address over HTTPS (port 8443 by default), behind the "
                          "parent's login; the proxy then listens there too unless --listen-host is given "
                          "(docs/household.md)")
    run.add_argument("--open", action="store_true",
                     help="open the dashboard in your web browser (logged in)")
    run.set_defaults(func=cmd_run)
    return run


def cmd_run(args) -> int:
    return asyncio.run(_run(args))


def _data_dir(args) -> Path:
    return paths.data_dir(args.data_dir).resolve()


def listen_host(args) -> str:
    """Where the proxy listens: --listen-host, or with --household and the default loopback,
    the LAN address (the household's devices reach the proxy there)."""
    household = getattr(args, "household", None)
    if household and args.listen_host == "127.0.0.1":
        return parse_household(household)[0]
    return args.listen_host


def _options(args, data_dir: Path) -> tuple[dict, dict]:
    """(mitmproxy options, feedlens options); the latter are set once the add-on declares them."""
    household = getattr(args, "household", None)
    mitm = {"listen_host": listen_host(args), "listen_port": args.listen_port,
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
            "feedlens_resolve": list(args.resolve),
            "feedlens_pack_check": args.pack_check,
            "feedlens_counterfactual": bool(getattr(args, "counterfactual", False)),
            "feedlens_counterfactual_interval": getattr(args, "counterfactual_interval", 30 * 60),
            "feedlens_household": household or ""}
    if getattr(args, "rules", None):
        ours["feedlens_rules"] = str(Path(args.rules).resolve())
    return mitm, ours


# mitmproxy's and the add-on's option names, as the `feedlens run` flags that set them: an
# error must name what the user can type, not an option they never saw.
FLAGS = {"feedlens_service_port": "--service-port", "feedlens_data_dir": "--data-dir",
         "feedlens_profile": "--profile", "feedlens_mark_style": "--mark-style",
         "feedlens_resolve": "--resolve", "feedlens_rules": "--rules",
         "feedlens_pack_check": "--pack-check-seconds",
         "feedlens_counterfactual_interval": "--counterfactual-interval",
         "feedlens_counterfactual": "--counterfactual", "feedlens_household": "--household",
         "ssl_verify_upstream_trusted_ca": "--upstream-ca", "proxyauth": "--device-auth",
         "listen_port": "--listen-port", "listen_host": "--listen-host", "confdir": "--data-dir"}
_OPTION_NAME = re.compile(r"\b(" + "|".join(sorted(FLAGS, key=len, reverse=True)) + r")\b")


def as_flags(text: str) -> str:
    """The text with option names replaced by flags (`feedlens_service_port` -> `--service-port`)."""
    return _OPTION_NAME.sub(lambda m: FLAGS[m.group(1)], text)


def check_files(args) -> None:
    """Files named on the command line must be there (mitmproxy would fail later, or not at all)."""
    device_auth = getattr(args, "device_auth", None)
    named = [("--upstream-ca", args.upstream_ca),
             ("--device-auth", device_auth if device_auth not in (None, "any") else None)]
    for flag, name in named:
        if name is not None and not Path(name).is_file():
            raise CliError(f"{flag}: no such file: {name}", "check the path")


def check_ports(args) -> None:
    """Refuse a busy port before mitmproxy starts, naming the flag that moves it (mitmproxy's
    own message suggests its `--mode` option, which `feedlens run` does not have)."""
    wanted = [(listen_host(args), args.listen_port, "proxy", "--listen-port"),
              ("127.0.0.1", args.service_port, "companion service", "--service-port")]
    if getattr(args, "household", None):
        wanted.append((*_household(args.household), "household dashboard", "--household"))
    if args.listen_port == args.service_port:
        raise CliError(f"the proxy and the companion service cannot share port {args.listen_port}",
                       "give --listen-port and --service-port different values")
    for host, port, what, flag in wanted:
        if not 0 < port < 65536:
            raise CliError(f"{flag} {port} is not a port number", "give 1 to 65535")
        if not _port_free(host, port):
            raise CliError(f"port {port} for the {what} is already in use",
                           f"stop the program using it, or choose another port with {flag}")


def _household(value: str) -> tuple[str, int]:
    """--household's LAN address: an IP of this network, not loopback nor 0.0.0.0 (the
    dashboard's certificate names one address)."""
    hint = "give this machine's LAN address, e.g. --household 192.168.1.10"
    try:
        host, port = parse_household(value)
    except ValueError:
        raise CliError(f"--household {value}: not an IP address[:port]", hint) from None
    try:
        lan_address(host)
    except ValueError as exc:
        raise CliError(f"--household {value}: {exc}", hint) from None
    return host, port


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # as asyncio's servers do: a port left in TIME_WAIT is free, a listening one is not
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host or "0.0.0.0", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                           "check --listen-host") from None
    return True


class _FlagNames(logging.Filter):
    """Rewrites startup errors logged after the checks (a port taken in between) in flags."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "--mode" in text:
            text = re.sub(r"Try specifying a different port by using `--mode [^`]*`\.",
                          "Choose another port with --listen-port.", text)
        if "companion service cannot listen" in text:
            text += " (choose another port with --service-port)"
        record.msg, record.args = as_flags(text), None
        return True


def load_addon():
    from .addons import FeedLens  # mitmproxy is imported only when the proxy runs

    return FeedLens()


async def _run(args) -> int:
    from mitmproxy import exceptions, options
    from mitmproxy.tools.dump import DumpMaster

    logging.getLogger().setLevel(logging.INFO)  # mitmproxy's term log filters further
    logging.getLogger("mitmproxy.proxy.server").setLevel(logging.WARNING)  # per-connection chatter
    data_dir = _data_dir(args)
    if args.profile:
        profile_path(args.profile, Path(args.rules) if getattr(args, "rules", None) else None)
    check_files(args)
    check_ports(args)
    mitm, ours = _options(args, data_dir)
    private.ensure_dir(data_dir)
    private.ensure_dir(data_dir / "mitmproxy")  # its CA key too
    opts = options.Options()
    master = DumpMaster(opts, with_termlog=True, with_dumper=False)
    try:
        opts.update(**mitm)
        addon = load_addon()
        master.addons.add(addon, Banner(args, data_dir, addon))
        opts.update(**ours)  # configures the add-on, now that it is in the chain
    except exceptions.OptionsError as exc:
        raise CliError(as_flags(str(exc)), "see `feedlens run --help`") from None
    for handler in logging.getLogger().handlers:
        handler.addFilter(_FlagNames())
    _install_signals(master)
    await master.run()  # startup errors exit through mitmproxy's errorcheck (status 1)
    print("stopped", file=sys.stderr, flush=True)  # Ctrl-C or SIGTERM: a clean stop, status 0
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
            link = dashboard_link(self.addon.service)  # one-time code: opens once, for minutes
            print(banner(self.args, self.data_dir, link), flush=True)
            if getattr(self.args, "open", False):
                import webbrowser  # its own link: the printed one stays good for another browser
                webbrowser.open(dashboard_link(self.addon.service))


def banner(args, data_dir: Path, link: str | None = None) -> str:
    ca = data_dir / "mitmproxy" / CA_FILE
    household = getattr(args, "household", None)
    lan = parse_household(household) if household else None
    listen = listen_host(args)
    host = "127.0.0.1" if listen in ("", "0.0.0.0", "::") else listen
    lan_url = f"https://{host_port(*lan)}" if lan else ""
    return "\n".join([
        f"feedlens {__version__} is running",
        f"  proxy      http://{host_port(host, args.listen_port)}  (HTTP and HTTPS proxy for your browser or phone"
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
        "             (opens once, within 5 minutes; `feedlens dashboard` prints a new one;"
        f" API token in {data_dir / 'token'})",
        *([f"  household  {lan_url}/  (the parent's dashboard on the LAN, its login is "
           f"the parent PIN; PAC {lan_url}/proxy.pac; enrol devices on /enrol)"] if lan else []),
        *(["  devices    by proxy user name: set e.g. http://kid-tablet:x@HOST:PORT as each "
           "device's proxy"] if getattr(args, "device_auth", None) else []),
        f"  data       {data_dir}",
        "  Ctrl-C stops.",
    ])
