"""Enrolling a device, the device's side, on the LAN dashboard (household.py): the page the
parent's QR code opens, the CA in PEM and DER, the iOS/iPadOS profile, and "this is <name>":
the device assigns itself the profile the parent chose.

No login here: the code in the URL is the capability (enrol.py), and what it gives is public
material (the CA certificate, the PAC address) plus the one assignment the parent decided. The
page and the files stay open until the link expires (the device may install the CA after
assigning itself); the assignment is taken once.
"""

from __future__ import annotations

from aiohttp import web

from ..minors import audit, enrolments
from ..minors.devices import addr_device
from . import enrol, household_ca, minors_actions, pac_route, render as r
from .config import CONFIG, SERVICE
from .lang import request_language

GUIDES = ("ios", "android", "windows", "macos", "chromeos", "linux")
FILES = {
    "feedlens-ca.pem": ("application/x-pem-file", "pem"),
    "feedlens-ca.crt": ("application/x-x509-ca-cert", "der"),  # Android, Windows: DER
    "feedlens.mobileconfig": ("application/x-apple-aspen-config", "mobileconfig"),
}


def setup(front: web.Application) -> None:
    front.router.add_get("/enrol/{code}", page, name="enrol_device")
    front.router.add_get("/enrol/{code}/{file}", download, name="enrol_file")
    front.router.add_post("/enrol/{code}/assign", assign, name="enrol_assign")


def _service(request: web.Request) -> web.Application:
    return request.app[SERVICE]


async def _enrolment(request: web.Request) -> enrolments.Enrolment:
    found = await enrol.find(_service(request), request.match_info["code"])
    if found is None:
        raise web.HTTPNotFound(text="this enrolment link is unknown or expired: ask for a new one")
    return found


def client_device(request: web.Request) -> str:
    """The calling device as the proxy names it without a proxy login: its address."""
    return addr_device(request.remote)


async def page(request: web.Request) -> web.Response:
    found, service = await _enrolment(request), _service(request)
    lang = request_language(request)
    ca = household_ca.ca_certificate(service[CONFIG].data_dir)
    base = f"/enrol/{request.match_info['code']}"
    host = service[CONFIG].household[0]
    return r.html_response(request, "enrol_device.html", lang, {
        "name": found.name, "profile": found.profile, "base": base, "guides": GUIDES,
        "pac_url": f"{enrol.lan_origin(service)}/proxy.pac",
        "proxy": pac_route.proxy_address(service, host),
        "fingerprint": household_ca.fingerprint(ca), "address": request.remote,
        "assigned": found.used and request.query.get("assigned") == "1", "used": found.used})


async def download(request: web.Request) -> web.Response:
    found, service = await _enrolment(request), _service(request)
    name = request.match_info["file"]
    if name not in FILES:
        raise web.HTTPNotFound()
    content_type, kind = FILES[name]
    ca = household_ca.ca_certificate(service[CONFIG].data_dir)
    body = {"pem": household_ca.pem, "der": household_ca.der}[kind](ca) if kind != "mobileconfig" \
        else household_ca.mobileconfig(ca, found.name)
    return web.Response(body=body, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


async def assign(request: web.Request) -> web.Response:
    """The device takes the parent's profile under its address and its proxy user name."""
    found, service = await _enrolment(request), _service(request)
    code, store = request.match_info["code"], service[CONFIG].runtime.store
    if not await enrolments.claim(store, code):
        raise web.HTTPGone(text="this enrolment link has been used already: ask for a new one")
    try:
        await _assign(service, found, client_device(request))
    except BaseException:
        await enrolments.release(store, code)
        raise
    raise web.HTTPSeeOther(f"/enrol/{code}?assigned=1")


async def _assign(service: web.Application, found: enrolments.Enrolment, address: str) -> None:
    minors = minors_actions.minors_of(service)
    for device, label in ((f"user:{found.name}", found.name), (address, found.name)):
        await minors_actions.call(minors.set_device(device, found.profile, label))
        await audit.record(service[CONFIG].runtime.store, route="enrol_assign", outcome="allowed_enrolment",
                           method="POST", profile=found.profile, device=device)
