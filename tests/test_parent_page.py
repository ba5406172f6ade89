"""The parent dashboard /parent and its forms, its JSON twin, and the tamper signals."""

from __future__ import annotations

import re
import time

import pytest

from feedlens.minors import audit, tamper
from feedlens.minors.pin import ParentPin
from feedlens.service import ServiceConfig, init_app
from feedlens.store import ResponseRecord
from tests.service_support import (  # noqa: F401 (fixtures)
    auth, demo_item, log_in, rules_dir, runtime, token,
)

pytestmark = pytest.mark.filterwarnings("error")

PIN = "8642"
HOUR = 3600.0


@pytest.fixture
async def client(aiohttp_client, runtime):
    return await aiohttp_client(init_app(ServiceConfig(runtime, manage_runtime=True)))


@pytest.fixture
async def family(client, runtime):
    """A kid's device with a pending request and one filtered item today; a PIN is set."""
    await ParentPin(runtime.store).set_pin(PIN)
    await runtime.minors.set_device("user:kid", "strict", "Mia")
    request = await runtime.minors.add_time_request("user:kid", 20, "science video <b>")
    hidden = demo_item(0, "a", "promoted", decision="hide", decision_rule="hide-banned-content",
                       labels=["cn.bad.gore_shock", "phrase_score=9"])
    runtime.store.submit(ResponseRecord(time=time.time(), platform="demo", endpoint="home",
                                        surface="home", url="https://api.demo.test/feed/home",
                                        status=200, changed=True, error=None, items=[hidden],
                                        device="user:kid"))
    await runtime.store.flush()
    return request


async def enter(client, token, lang="en"):
    response = await log_in(client, token, lang)
    assert response.status == 303  # the jar now holds the dashboard cookie


async def get_page(client, lang="en"):
    response = await client.get(f"/parent?lang={lang}")
    return response, await response.text()


def csrf_of(html: str, action: str) -> str:
    form = re.search(rf'<form method="post" action="{re.escape(action)}">(.*?)</form>', html, re.S)
    return re.search(r'name="csrf" value="([0-9a-f]+)"', form.group(1)).group(1)


async def post_form(client, action: str, fields: dict):
    return await client.post(action, data=fields, allow_redirects=False,
                             headers={"Origin": f"http://127.0.0.1:{client.port}"})


# ---- the page ----------------------------------------------------------------------------------

async def test_the_page_needs_the_dashboard_cookie(client, family):
    response, text = await get_page(client)
    assert response.status == 401
    assert "Mia" not in text and "science video" not in text


@pytest.mark.parametrize("lang,words", [
    ("en", ["Parent", "Devices", "Requests for more time", "Approve", "Decline", "Tamper signals",
            "Recent changes and refusals", "Parent PIN"]),
    ("zh", ["家长", "设备", "延长时间申请", "同意", "拒绝", "异常提示", "最近的更改与拒绝", "家长密码"]),
])
async def test_the_page_renders_in_both_languages(client, token, family, lang, words):
    await enter(client, token, lang)
    response, text = await get_page(client, lang)
    assert response.status == 200
    for word in words:
        assert word in text, word
    assert "Mia (user:kid)" in text
    assert "science video &lt;b&gt;" in text  # the child's note is escaped
    assert 'name="pin"' in text and 'type="password"' in text
    assert "<script" not in text


async def test_a_device_label_with_markup_is_escaped(client, token, runtime):
    """A device's label is whatever was typed when it was added: autoescape shows it as text,
    in the table and in the forms' hidden fields."""
    await runtime.minors.set_device("user:kid", "strict", '<script>alert(1)</script>"x')
    await runtime.minors.add_time_request("user:kid", 20, None)
    await enter(client, token)
    response, text = await get_page(client)
    assert response.status == 200
    assert "<script" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;x (user:kid)" in text
    assert 'name="device" value="user:kid"' in text


async def test_the_page_shows_time_and_what_was_filtered(client, token, family, runtime):
    await enter(client, token)
    _, text = await get_page(client)
    usage = await runtime.minors.usage("user:kid", time.time())
    assert "strict" in text
    assert "gore and shock (cn.bad.gore_shock): 1" in text  # the category, named
    assert "hidden: 1" in text
    assert usage["budget_minutes"] is None and "unlimited" in text
    await enter(client, token, "zh")
    _, zh = await get_page(client, "zh")
    assert "血腥惊悚 (cn.bad.gore_shock): 1" in zh and "已隐藏: 1" in zh


async def test_approving_needs_the_pin_on_the_form(client, token, family, runtime):
    await enter(client, token)
    action = f"/parent/requests/{family['id']}"
    _, text = await get_page(client)
    csrf = csrf_of(text, action)
    wrong = await post_form(client, action, {"csrf": csrf, "approve": "1", "minutes": "20", "pin": "0000"})
    assert wrong.status == 303 and "notice=wrong_pin" in wrong.headers["Location"]
    assert len(await runtime.minors.time_requests("pending")) == 1
    done = await post_form(client, action, {"csrf": csrf, "approve": "1", "minutes": "25", "pin": PIN})
    assert "notice=done" in done.headers["Location"]
    assert await runtime.minors.time_requests("pending") == []
    assert (await runtime.minors.usage("user:kid", time.time()))["extra_minutes"] == 25
    outcomes = [r["outcome"] for r in await audit.entries(runtime.store)
                if r["route"] == "minors_request_decide"]
    assert outcomes == ["allowed_with_pin", "refused_wrong_pin"]
    after = await (await client.get(done.headers["Location"])).text()
    assert "Done." in after and "No pending requests." in after


async def test_declining_and_granting_from_the_page(client, token, family, runtime):
    await enter(client, token, "zh")
    action = f"/parent/requests/{family['id']}"
    _, text = await get_page(client, "zh")
    assert '<input type="hidden" name="lang" value="zh">' in text  # the answer comes back in zh
    response = await post_form(client, action, {"csrf": csrf_of(text, action), "approve": "0",
                                                "pin": PIN, "lang": "zh"})
    assert "notice=done" in response.headers["Location"] and "lang=zh" in response.headers["Location"]
    assert (await runtime.minors.time_requests(None))[0]["status"] == "declined"
    grant = await post_form(client, "/parent/grant", {"csrf": csrf_of(text, "/parent/grant"),
                                                      "device": "user:kid", "minutes": "10", "pin": ""})
    assert "notice=no_pin" in grant.headers["Location"]
    grant = await post_form(client, "/parent/grant", {"csrf": csrf_of(text, "/parent/grant"),
                                                      "device": "user:kid", "minutes": "10", "pin": PIN})
    assert "notice=done" in grant.headers["Location"]
    assert (await runtime.minors.usage("user:kid", time.time()))["extra_minutes"] == 10


async def test_a_form_without_csrf_or_from_elsewhere_is_refused(client, token, family, runtime):
    await enter(client, token)
    action = f"/parent/requests/{family['id']}"
    response = await post_form(client, action, {"approve": "1", "pin": PIN})
    assert response.status == 403
    response = await client.post(action, data={"approve": "1", "pin": PIN}, allow_redirects=False,
                                 headers={"Origin": "https://evil.example"})
    assert response.status == 403
    assert len(await runtime.minors.time_requests("pending")) == 1


async def test_the_overview_json_twin(client, auth, family, runtime):
    data = await (await client.get("/api/minors/overview", headers=auth)).json()
    assert data["pin"]["set"] is True
    [device] = data["devices"]
    assert device["name"] == "user:kid" and device["label"] == "Mia" and device["locked"] is False
    assert {"today_minutes", "week_minutes", "budget_minutes"} <= device["usage"].keys()
    assert device["status"]["blocked"] is False
    assert [r["id"] for r in data["requests"]] == [family["id"]]
    assert isinstance(data["signals"], list) and isinstance(data["audit"], list)


# ---- tamper signals ----------------------------------------------------------------------------

NOW = 1_800_000_000.0


def never_blocked(device, at):
    return False


def test_a_daily_device_silent_for_allowed_hours_is_flagged():
    devices = [{"name": "user:kid", "expected_daily": True, "last_seen": NOW - 7 * HOUR},
               {"name": "user:new", "expected_daily": False, "last_seen": NOW - 48 * HOUR},
               {"name": "user:busy", "expected_daily": True, "last_seen": NOW - HOUR}]
    signals = tamper.silent_devices(devices, NOW, never_blocked, hours=6)
    assert [(s["kind"], s["device"]) for s in signals] == [("device_silent", "user:kid")]


def test_silence_during_curfew_or_a_spent_budget_does_not_count():
    devices = [{"name": "user:kid", "expected_daily": True, "last_seen": NOW - 10 * HOUR}]

    def night(device, at):  # blocked for the last 8 of the 10 silent hours
        return at > NOW - 8 * HOUR
    assert tamper.silent_devices(devices, NOW, night, hours=6) == []
    assert tamper.allowed_seconds("user:kid", NOW - 10 * HOUR, NOW, night, 99 * HOUR) == 2 * HOUR


def test_a_client_with_recent_tls_failures_is_flagged_and_named():
    counters = {"last_tls_failure": {"time": NOW - 60, "client": "192.168.1.23",
                                     "sni": "api.bilibili.com", "error": "unknown ca"}}
    devices = [{"name": "addr:192.168.1.23"}]
    [signal] = tamper.untrusting_clients(counters, devices, NOW)
    assert signal["kind"] == "tls_untrusted" and signal["device"] == "addr:192.168.1.23"
    assert "unknown ca" in signal["detail"]
    old = {"last_tls_failure": {"time": NOW - 48 * HOUR, "client": "10.0.0.2"}}
    assert tamper.untrusting_clients(old, [], NOW) == []
    assert tamper.untrusting_clients({"last_tls_failure": None}, [], NOW) == []


def test_an_extension_that_went_quiet_while_feeds_load_is_flagged():
    quiet = tamper.extension_silence(NOW - 2 * HOUR, NOW - 60, NOW, minutes=30)
    assert [s["kind"] for s in quiet] == ["extension_silent"]
    assert tamper.extension_silence(NOW - 2 * HOUR, NOW - 2 * HOUR, NOW, minutes=30) == []  # no traffic since
    assert tamper.extension_silence(NOW - 60, NOW, NOW, minutes=30) == []  # it reported recently
    assert tamper.extension_silence(None, NOW, NOW) == []  # never installed


async def test_the_overview_shows_signals_from_the_runtime(client, auth, runtime, family):
    runtime.counters.last_tls_failure = {"time": time.time() - 30, "client": "10.1.2.3",
                                                   "sni": "www.youtube.com", "error": "bad cert"}
    app = client.server.app
    from feedlens.service.parent_guard import note_extension_contact
    note_extension_contact(app, now=time.time() - 3 * HOUR)
    runtime.counters.last_feed = {"demo": time.time() - 10}
    data = await (await client.get("/api/minors/overview", headers=auth)).json()
    kinds = {(s["kind"], s["device"]) for s in data["signals"]}
    assert kinds == {("tls_untrusted", "addr:10.1.2.3"), ("extension_silent", None)}


async def test_assigning_a_profile_from_the_page_needs_the_pin(client, token, family, runtime):
    await enter(client, token)
    _, text = await get_page(client)
    assert '<option value="strict" selected>' in text
    fields = {"csrf": csrf_of(text, "/parent/device"), "device": "user:kid", "profile": "default"}
    refused = await post_form(client, "/parent/device", {**fields, "pin": "1111"})
    assert "notice=wrong_pin" in refused.headers["Location"]
    assert runtime.minors.device_profile("user:kid") == "strict"
    done = await post_form(client, "/parent/device", {**fields, "pin": PIN})
    assert "notice=done" in done.headers["Location"]
    assert runtime.minors.device_profile("user:kid") == "default"
    assert [d["label"] for d in await runtime.minors.devices()] == ["Mia"]  # the label stays


# ---- PIN and names from the page ---------------------------------------------------------------

def form_csrf(html: str, action: str) -> str:
    form = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', html, re.S)
    return re.search(r'name="csrf" value="([0-9a-f]+)"', form.group(1)).group(1)


async def test_the_first_pin_is_set_on_the_page_with_a_confirmation(client, token, runtime):
    await enter(client, token)
    _, text = await get_page(client)
    assert "Set the parent PIN" in text and 'name="confirm_pin"' in text and 'name="pin"' not in text.split('id="pin-form"')[1].split("</form>")[0]
    csrf = form_csrf(text, "/parent/pin")
    differ = await post_form(client, "/parent/pin", {"csrf": csrf, "new_pin": "1357", "confirm_pin": "1358"})
    short = await post_form(client, "/parent/pin", {"csrf": csrf, "new_pin": "12", "confirm_pin": "12"})
    assert "notice=pin_mismatch" in differ.headers["Location"]
    assert "notice=pin_format" in short.headers["Location"]
    assert not await ParentPin(runtime.store).is_set()
    done = await post_form(client, "/parent/pin", {"csrf": csrf, "new_pin": "1357", "confirm_pin": "1357"})
    shown = await done.text()  # the recovery code, in this answer only (never in a URL)
    assert done.status == 200 and "Location" not in done.headers and "The parent PIN is saved." in shown
    code = re.search(r'<code id="recovery-code">([A-Z0-9-]+)</code>', shown).group(1)
    assert await ParentPin(runtime.store).recovery_matches(code)
    assert (await ParentPin(runtime.store).verify("1357")).ok
    after = await (await client.get("/parent?lang=en")).text()
    assert "Change the parent PIN" in after and code not in after


async def test_changing_the_pin_needs_the_current_one(client, token, family, runtime):
    await enter(client, token, "zh")
    _, text = await get_page(client, "zh")
    csrf = form_csrf(text, "/parent/pin")
    wrong = await post_form(client, "/parent/pin", {"csrf": csrf, "pin": "0000", "new_pin": "9999",
                                                    "confirm_pin": "9999", "lang": "zh"})
    assert "notice=wrong_pin" in wrong.headers["Location"]
    assert "密码错误" in await (await client.get(wrong.headers["Location"])).text()
    done = await post_form(client, "/parent/pin", {"csrf": csrf, "pin": PIN, "new_pin": "9999",
                                                   "confirm_pin": "9999"})
    assert done.status == 200 and 'id="recovery-code"' in await done.text()
    assert (await ParentPin(runtime.store).verify("9999")).ok
    outcomes = [r["outcome"] for r in await audit.entries(runtime.store) if r["route"] == "page_set_pin"]
    assert outcomes == ["allowed_with_pin", "refused_wrong_pin"]


async def test_renaming_a_device_keeps_its_profile_and_needs_the_pin(client, token, family, runtime):
    await enter(client, token)
    _, text = await get_page(client)
    fields = {"csrf": form_csrf(text, "/parent/rename"), "device": "user:kid", "label": "Mia's tablet"}
    refused = await post_form(client, "/parent/rename", {**fields, "pin": ""})
    assert "notice=no_pin" in refused.headers["Location"]
    done = await post_form(client, "/parent/rename", {**fields, "pin": PIN})
    assert "notice=renamed" in done.headers["Location"]
    [device] = await runtime.minors.devices()
    assert (device["label"], device["profile"]) == ("Mia's tablet", "strict")
    page = await (await client.get("/parent?lang=en")).text()
    assert "Mia&#39;s tablet (user:kid)" in page and '<div class="scroll"><table>' in page


async def test_numbers_have_units_and_an_unassigned_device_shows_the_active_profile(client, token, family, runtime):
    await runtime.minors.set_device("addr:10.0.0.5", None, None)
    await enter(client, token)
    _, text = await get_page(client)
    assert "(cn.bad.gore_shock): 1 item" in text and "hidden: 1 item" in text
    row = text.split("<tr><td>addr:10.0.0.5")[1].split("</tr>")[0]
    assert '<option value="default" selected>' in row  # the active profile it uses
