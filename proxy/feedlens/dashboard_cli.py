"""`feedlens dashboard`: a fresh one-time dashboard link from the running `feedlens run`.

The link `feedlens run` prints opens once and only within minutes (service/login.py), so this
asks the running service for another one. It speaks HTTP to the service on loopback with the
data directory's token (the same file the service reads), never through a proxy; the token
itself never goes into the link.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request

from . import paths

TIMEOUT = 10.0


def add_dashboard_parser(subparsers):
    parser = subparsers.add_parser(
        "dashboard", help="print a fresh one-time dashboard link of the running feedlens")
    parser.add_argument("--data-dir", help="the data directory `feedlens run` uses")
    parser.add_argument("--service-port", type=int, default=8787, help="companion service port")
    parser.add_argument("--open", action="store_true", help="open it in your web browser")
    parser.set_defaults(func=cmd_dashboard)
    return parser


def cmd_dashboard(args) -> int:
    data_dir = paths.data_dir(args.data_dir).resolve()
    try:
        token = (data_dir / "token").read_text(encoding="ascii").strip()
    except OSError as exc:
        return _fail(f"no token in {data_dir} ({exc.strerror}): start `feedlens run` with this "
                     "data directory, or pass the one it uses with --data-dir")
    try:
        link = ask_link(args.service_port, token)
    except urllib.error.HTTPError as exc:
        return _fail(f"the service on port {args.service_port} refused (HTTP {exc.code}): "
                     "is it running with this data directory?")
    except (OSError, ValueError, KeyError) as exc:
        return _fail(f"feedlens is not answering on 127.0.0.1:{args.service_port} ({exc}): "
                     "is `feedlens run` running?")
    print(f"dashboard  {link}\n           (opens once, within 5 minutes)", flush=True)
    if args.open:
        import webbrowser
        webbrowser.open(link)
    return 0


def ask_link(port: int, token: str) -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/login-link", method="POST",
                                     headers={"Authorization": f"Bearer {token}"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # $http_proxy: not here
    with opener.open(request, timeout=TIMEOUT) as response:
        return str(json.load(response)["url"])


def _fail(message: str) -> int:
    print(f"feedlens dashboard: {message}", file=sys.stderr)
    return 1
