"""Enrolling a device: the parent makes the link on the dashboard (with the PIN), its QR code
decodes (zxing-cpp) to the device's page on the LAN dashboard, which serves the CA in PEM and
DER and an iOS profile carrying it, and assigns the device the parent's profile, once; the link
outlives a restart of feedlens (it is in the store) and is bracketed on an IPv6 LAN address."""

from __future__ import annotations

import plistlib
import re
import time

from cryptography import x509

from feedlens.minors import audit, enrolments
from feedlens.service import ServiceConfig, enrol, init_app, parent_guard
from feedlens.service.household import init_front
from feedlens.service.household_ca import ca_certificate, der

from .household_support import LAN_HOST, PIN, decode_qr
from .service_support import log_in, real_runtime, rules_dir, runtime  # noqa: F401 (fixtures)

PORT = 8443
ORIGIN = f"https://{LAN_HOST}:{PORT}"


async def clients(aiohttp_client, runtime, host: str = LAN_HOST):
    service = await aiohttp_client(init_app(ServiceConfig(runtime, manage_runtime=True,
                                                          household=(host, PORT))))
    shown = f"[{host}]" if ":" in host else host
    front = await aiohttp_client(init_front(service.app), headers={"Host": f"{shown}:{PORT}"})
    return service, front


def csrf_of(html: str, action: str) -> str:
    return re.search(rf'action="{re.escape(action)}"><input type="hidden" name="csrf" value="([0-9a-f]+)"', html).group(1)


async def make_link(service, runtime, origin: str = ORIGIN) -> str:
    """The parent's enrolment link, as the QR code on the dashboard reads."""
    await parent_guard.parent_pin(service.app).set_pin(PIN)
    await log_in(service, (runtime.config.data_dir / "token").read_text().strip())
    page = await (await service.get("/enrol")).text()
    form = {"name": "Mia-Tablet", "profile": "strict", "pin": PIN, "csrf": csrf_of(page, "/enrol")}
    shown = await service.post("/enrol", data=form, headers={"Origin": str(service.make_url("")).rstrip("/")})
    assert shown.status == 200, await shown.text()
    html = await shown.text()
    url = re.search(r'<code id="enrol-url">([^<]+)</code>', html).group(1)
    assert url.startswith(f"{origin}/enrol/")
    assert decode_qr(re.search(r"<svg.*?</svg>", html, re.S).group(0)) == [url]
    return url


async def test_a_device_enrols_with_the_qr_code_the_parent_made(aiohttp_client, runtime):
    service, front = await clients(aiohttp_client, runtime)
    url = await make_link(service, runtime)

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


async def test_a_link_outlives_a_restart_and_is_taken_once(aiohttp_client, runtime, rules_dir, tmp_path):
    v6, origin = "fd00::10", f"https://[fd00::10]:{PORT}"  # an IPv6 LAN address, bracketed
    service, _ = await clients(aiohttp_client, runtime, v6)
    path = (await make_link(service, runtime, origin)).removeprefix(origin)
    expired = await enrol.new_code(service.app, "old-phone", "strict", now=time.time() - enrol.ENROL_TTL - 1)
    await service.close()  # feedlens stops: its runtime and store close

    again = real_runtime(tmp_path / "data", rules_dir)  # feedlens starts again on the same data
    _, front = await clients(aiohttp_client, again, v6)
    page = await front.get(path)
    assert page.status == 200
    text = await page.text()
    assert f"{origin}/proxy.pac" in text and f"[{v6}]:8080" in text and "/assign" in text
    pac = await (await front.get("/proxy.pac")).text()
    assert f'"PROXY [{v6}]:8080; DIRECT"' in pac
    assert (await front.get(f"/enrol/{expired}")).status == 404
    assert (await front.post(f"/enrol/{expired}/assign", headers={"Origin": origin})).status == 404
    done = await front.post(f"{path}/assign", headers={"Origin": origin}, allow_redirects=False)
    assert done.status == 303
    assert {d["name"]: d["profile"] for d in await again.minors.devices()}["user:mia-tablet"] == "strict"
    assert (await front.post(f"{path}/assign", headers={"Origin": origin})).status == 410  # once
    used = await front.get(path)  # the CA and PAC stay until the link expires; no second assignment
    assert used.status == 200 and "/assign" not in await used.text()
    assert (await front.get(f"{path}/feedlens-ca.pem")).status == 200
    stored = await again.store.run_read(lambda conn: [tuple(r) for r in conn.execute(
        "SELECT code_hash, used_at IS NOT NULL FROM parent_enrolments")])
    code = path.rsplit("/", 1)[1]
    assert (enrolments.digest(code), 1) in stored and all(code not in row[0] for row in stored)
