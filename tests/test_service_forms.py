"""Dashboard forms from a real browser's point of view (hidden origins, Sec-Fetch-Site), the
one-time dashboard link, the CA download and the setup checklist's verdicts."""

from __future__ import annotations

import time

import pytest

from feedlens.counters import Counters
from feedlens.service import ServiceConfig, init_app, login, setup_steps
from feedlens.service.pages import csrf_value
from tests.service_support import (  # noqa: F401 (fixtures)
    auth, client, log_in, rules_dir, runtime, token,
)

pytestmark = pytest.mark.filterwarnings("error")
AUDIT = "/research/audit"


async def enter(client, token):
    assert (await log_in(client, token)).status == 303


async def post_audit(client, token, headers):
    return await client.post(AUDIT + "?lang=en", headers=headers, allow_redirects=False,
                             data={"platform": "demo", "csrf": csrf_value(token, AUDIT)})


# ---- who may post a form -------------------------------------------------------------------

async def test_a_hidden_origin_with_same_origin_fetch_metadata_is_accepted(client, token):
    await enter(client, token)
    response = await post_audit(client, token, {"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert response.status == 303 and "notice=started" in response.headers["Location"]


@pytest.mark.parametrize("headers", [
    {"Origin": "null"}, {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "null", "Sec-Fetch-Site": "same-site"}, {"Sec-Fetch-Site": "none"}, {},
])
async def test_a_hidden_origin_from_elsewhere_gets_a_page_not_json(client, token, runtime, headers):
    await enter(client, token)
    response = await post_audit(client, token, headers)
    assert response.status == 403 and response.content_type == "text/html"
    assert "did not come from this dashboard page" in await response.text()


async def test_a_foreign_origin_gets_nothing(client, token):
    await enter(client, token)
    response = await post_audit(client, token, {"Origin": "https://evil.example",
                                                "Sec-Fetch-Site": "same-origin"})
    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_a_null_origin_does_not_open_the_api(client, auth):
    response = await client.get("/api/items", headers={**auth, "Origin": "null"})
    assert response.status == 403


async def test_pages_ask_browsers_for_same_origin_referrers(client, auth):
    response = await client.get("/research", headers=auth)
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert '<meta name="referrer" content="same-origin">' in await response.text()


# ---- the one-time link ---------------------------------------------------------------------

async def test_a_one_time_link_logs_in_once(aiohttp_client, runtime):
    app = init_app(ServiceConfig(runtime, manage_runtime=True))
    client = await aiohttp_client(app)
    link = login.new_link(app)
    assert link.startswith(f"http://127.0.0.1:{runtime.config.service_port}/?code=")
    query = link.split("/", 3)[3]
    first = await client.get("/" + query, allow_redirects=False)
    assert first.status == 303 and "SameSite=Strict" in first.headers["Set-Cookie"]
    assert (await client.get("/")).status == 200
    client.session.cookie_jar.clear()
    again = await client.get("/" + query, allow_redirects=False)
    assert again.status == 401 and "Set-Cookie" not in again.headers


def test_an_expired_link_opens_nothing():
    from aiohttp import web
    app = web.Application()
    login.setup(app)
    code = login.new_code(app, now=1000.0)
    assert login.TTL <= 600  # minutes, not a day: a printed link goes stale quickly
    assert not login.redeem(app, code, now=1000.0 + login.TTL + 1)


# ---- the CA download -----------------------------------------------------------------------

async def test_the_ca_download_needs_the_dashboard_cookie(client, token, runtime):
    ca = runtime.config.data_dir / "mitmproxy" / "mitmproxy-ca-cert.pem"
    ca.parent.mkdir(parents=True, exist_ok=True)
    ca.write_text("-----BEGIN CERTIFICATE-----\nxyz\n-----END CERTIFICATE-----\n")
    locked = await client.get("/setup/ca.pem")
    assert locked.status == 401 and "BEGIN CERTIFICATE" not in await locked.text()
    await enter(client, token)
    response = await client.get("/setup/ca.pem")
    assert response.status == 200 and "BEGIN CERTIFICATE" in await response.text()
    assert 'filename="feedlens-ca.pem"' in response.headers["Content-Disposition"]


# ---- the checklist -------------------------------------------------------------------------

def states(counters: Counters, contact=None) -> dict[str, str]:
    return {s["key"]: s["state"] for s in setup_steps.checklist(counters.snapshot(), contact)}


def test_the_checklist_goes_green_step_by_step():
    counters = Counters()
    steps = setup_steps.checklist(counters.snapshot(), None)
    assert states(counters) == dict.fromkeys(setup_steps.STEPS, "todo")
    assert setup_steps.verdict(steps, [])["level"] == "wait"
    counters.tls_failed("10.0.0.7", "x.com", "certificate unknown")
    assert states(counters) == {"proxy": "done", "ca": "bad", "feed": "todo", "extension": "todo"}
    verdict = setup_steps.verdict(setup_steps.checklist(counters.snapshot(), None), [])
    assert verdict["level"] == "bad" and verdict["reasons"][0][1] == {"clients": "10.0.0.7"}
    time.sleep(0.001)
    counters.tls_established("10.0.0.7")
    counters.last_feed["x"] = time.time()
    assert states(counters, time.time()) == dict.fromkeys(setup_steps.STEPS, "done")


def test_one_untrusting_client_is_named_while_another_trusts():
    counters = Counters()
    counters.tls_established("10.0.0.2")
    counters.tls_failed("10.0.0.9", "www.youtube.com", None)
    [_, ca, *_] = setup_steps.checklist(counters.snapshot(), None)
    assert (ca["state"], ca["items"], ca["bad_items"], ca["sni"]) == (
        "bad", ["10.0.0.2"], ["10.0.0.9"], ["www.youtube.com"])


def test_problems_make_the_verdict_red():
    counters = Counters()
    counters.client("127.0.0.1")
    steps = setup_steps.checklist(counters.snapshot(), None)
    assert setup_steps.verdict(steps, [])["level"] == "ok"
    assert setup_steps.verdict(steps, ["x.yaml: broken"])["level"] == "bad"


@pytest.mark.parametrize("proxy,local,phone", [
    (None, "127.0.0.1:8080", None), (("127.0.0.1", 8081), "127.0.0.1:8081", None),
    (("192.168.4.2", 8080), "192.168.4.2:8080", "192.168.4.2:8080"),
    (("fd00::10", 8080), "[fd00::10]:8080", "[fd00::10]:8080"),  # an IPv6 literal in brackets
])
def test_proxy_addresses(proxy, local, phone):
    addresses = setup_steps.proxy_addresses(proxy)
    assert (addresses["local"], addresses["phone"]) == (local, phone)


def test_the_qr_code_is_inline_svg_without_style_attributes():
    svg = setup_steps.qr_svg("http://192.168.4.2:8080")
    assert svg.startswith("<svg") and "style=" not in svg and "<script" not in svg


async def test_the_overview_shows_the_checklist_and_a_red_verdict(client, auth, runtime):
    runtime.counters.tls_failed("127.0.0.1", "www.bilibili.com", "unknown ca")
    response = await client.get("/?lang=en", headers=auth)
    text = await response.text()
    assert 'id="step-ca" data-state="bad"' in text
    assert "127.0.0.1 does not trust the feedlens CA" in text and "No problems" not in text
    assert "certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n feedlens -i" in text
    zh = await (await client.get("/?lang=zh", headers=auth)).text()
    assert "不信任 feedlens CA" in zh
