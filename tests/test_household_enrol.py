"""Enrolling a device: the parent makes the link on the dashboard (with the PIN), its QR code
decodes (zxing-cpp) to the device's page on the LAN dashboard, which serves the CA in PEM and
DER and an iOS profile carrying it, and assigns the device the parent's profile."""

from __future__ import annotations

import plistlib
import re

from cryptography import x509

from feedlens.minors import audit
from feedlens.service import ServiceConfig, init_app, parent_guard
from feedlens.service.household import init_front
from feedlens.service.household_ca import ca_certificate, der

from .household_support import LAN_HOST, PIN, decode_qr
from .service_support import log_in, rules_dir, runtime  # noqa: F401 (fixtures)

PORT = 8443
ORIGIN = f"https://{LAN_HOST}:{PORT}"


async def clients(aiohttp_client, runtime):
    service = await aiohttp_client(init_app(ServiceConfig(runtime, manage_runtime=True,
                                                          household=(LAN_HOST, PORT))))
    front = await aiohttp_client(init_front(service.app), headers={"Host": f"{LAN_HOST}:{PORT}"})
    return service, front


def csrf_of(html: str, action: str) -> str:
    return re.search(rf'action="{re.escape(action)}"><input type="hidden" name="csrf" value="([0-9a-f]+)"', html).group(1)


async def test_a_device_enrols_with_the_qr_code_the_parent_made(aiohttp_client, runtime):
    service, front = await clients(aiohttp_client, runtime)
    await parent_guard.parent_pin(service.app).set_pin(PIN)
    await log_in(service, (runtime.config.data_dir / "token").read_text().strip())
    page = await (await service.get("/enrol")).text()
    form = {"name": "Mia-Tablet", "profile": "strict", "pin": PIN, "csrf": csrf_of(page, "/enrol")}
    shown = await service.post("/enrol", data=form, headers={"Origin": str(service.make_url("")).rstrip("/")})
    assert shown.status == 200, await shown.text()
    html = await shown.text()
    url = re.search(r'<code id="enrol-url">([^<]+)</code>', html).group(1)
    assert url.startswith(f"{ORIGIN}/enrol/")
    assert decode_qr(re.search(r"<svg.*?</svg>", html, re.S).group(0)) == [url]

    path = url.removeprefix(ORIGIN)
    device_page = await front.get(path)  # no login: the code is the capability
    assert device_page.status == 200
    text = await device_page.text()
    assert f"{ORIGIN}/proxy.pac" in text and "mia-tablet" in text

    ca = ca_certificate(runtime.config.data_dir)
    pem = await front.get(f"{path}/feedlens-ca.pem")
    assert x509.load_pem_x509_certificate(await pem.read()) == ca
    crt = await front.get(f"{path}/feedlens-ca.crt")
    assert crt.content_type == "application/x-x509-ca-cert"
    assert x509.load_der_x509_certificate(await crt.read()) == ca
    profile = await front.get(f"{path}/feedlens.mobileconfig")
    assert profile.content_type == "application/x-apple-aspen-config"
    parsed = plistlib.loads(await profile.read())
    (payload,) = [p for p in parsed["PayloadContent"] if p["PayloadType"] == "com.apple.security.root"]
    assert parsed["PayloadType"] == "Configuration" and payload["PayloadContent"] == der(ca)

    # another site cannot make the device assign itself; the device's own page can
    assert (await front.post(f"{path}/assign", headers={"Origin": "https://evil.example"})).status == 403
    done = await front.post(f"{path}/assign", headers={"Origin": ORIGIN}, allow_redirects=False)
    assert done.status == 303
    devices = {d["name"]: d for d in await runtime.minors.devices()}
    assert devices["user:mia-tablet"]["profile"] == "strict"
    assert devices["addr:127.0.0.1"] == {**devices["addr:127.0.0.1"], "profile": "strict", "label": "mia-tablet"}
    rows = await audit.entries(runtime.store)
    assert {(r["route"], r["outcome"]) for r in rows} >= {("page_enrol_create", "allowed_with_pin"),
                                                          ("enrol_assign", "allowed_enrolment")}
    assert (await front.get("/enrol/not-a-code")).status == 404
    assert (await front.get("/enrol/not-a-code/feedlens-ca.pem")).status == 404
