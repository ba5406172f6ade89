"""The overview's first-run part: the setup checklist with each step's fix in place (proxy
address with a QR code for a phone, the CA to download, per-OS steps), and the CA download.

The CA download is on the dashboard cookie like the pages: it is public material, but the
service answers nothing of substance to a browser that has not logged in.
"""

from __future__ import annotations

from aiohttp import web

from . import pages, parent_guard, setup_steps
from .config import CONFIG

CA_PATH = ("mitmproxy", "mitmproxy-ca-cert.pem")
CA_DOWNLOAD = "feedlens-ca.pem"
# The OS and browser guides, in the order shown; their words are setup.os.<key>.* messages.
GUIDES = ("linux_chromium", "firefox", "linux_system", "macos", "windows", "android", "ios")
# The command for each guide that has one ({ca}: the CA file on this computer).
COMMANDS = {
    "linux_chromium": "certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n feedlens -i {ca}",
    "linux_system": "sudo cp {ca} /usr/local/share/ca-certificates/feedlens.crt"
                    " && sudo update-ca-certificates",
    "macos": "sudo security add-trusted-cert -d -p ssl -k /Library/Keychains/System.keychain {ca}",
    "windows": "certutil -addstore -f Root feedlens-ca.pem",
}
REFRESH_DURING_SETUP = 5  # seconds: the checklist turns green soon after the proxy sees it


def setup(app: web.Application) -> None:
    app.router.add_get("/setup/ca.pem", ca_cert, name="page_setup_ca")


async def context(request: web.Request, counters: dict, problems: list[str]) -> dict:
    """What dashboard.html needs for the checklist and the health verdict."""
    app = request.app
    contact = await parent_guard.last_extension_contact(app) if parent_guard.CONTACT in app else None
    steps = setup_steps.checklist(counters, contact)
    all_done = all(s["state"] == "done" for s in steps)
    addresses = setup_steps.proxy_addresses(app[CONFIG].proxy)
    phone = addresses["phone"]
    return {"steps": steps, "verdict": setup_steps.verdict(steps, problems),
            "proxy": addresses, "qr": setup_steps.qr_svg(f"http://{phone}") if phone else None,
            "ca_file": str(_ca_file(app)), "ca_ready": _ca_file(app).is_file(), "guides": GUIDES,
            "commands": {k: c.format(ca=_ca_file(app)) for k, c in COMMANDS.items()},
            "all_done": all_done, **({} if all_done else {"refresh_seconds": REFRESH_DURING_SETUP})}


def _ca_file(app: web.Application):
    return app[CONFIG].data_dir.joinpath(*CA_PATH)


async def ca_cert(request: web.Request) -> web.StreamResponse:
    lang = pages.language(request)
    if not pages.authorized(request):
        return pages.message(request, lang, "setup.login_first", 401)
    path = _ca_file(request.app)
    if not path.is_file():
        return pages.message(request, lang, "setup.no_ca", 404)
    return web.Response(body=path.read_bytes(), content_type="application/x-pem-file", headers={
        "Content-Disposition": f'attachment; filename="{CA_DOWNLOAD}"'})
