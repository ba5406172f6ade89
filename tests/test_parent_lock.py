"""The parent lock: argon2id PIN, brute-force lockout that survives a restart, and every
changing route refusing a locked profile without the PIN (route by route), all audited."""

from __future__ import annotations

import json
import time

import pytest
from argon2 import PasswordHasher

from feedlens import myrules
from feedlens.minors import audit
from feedlens.minors.pin import BASE_LOCKOUT_SECONDS, MAX_FAILURES, ParentPin, PinError
from feedlens.service import ServiceConfig, init_app
from feedlens.service.parent_guard import PIN_HEADER, profile_locked
from feedlens.store import Store
from tests.service_support import (  # noqa: F401 (fixtures)
    DEFAULT_PROFILE, auth, rules_dir, runtime, token,
)

pytestmark = pytest.mark.filterwarnings("error")

PIN = "2468"
KID_PROFILE = """\
title: Kid
version: 1
locked: true
rules:
  - id: no-ads
    when: {provenance: promoted}
    action: hide
"""
NO_PERSONALIZED = """\
title: No personalised
version: 1
rules:
  - id: hide-personalized
    when: {provenance: personalized}
    action: hide
"""
FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


# ---- the PIN itself --------------------------------------------------------------------------

@pytest.fixture
async def store(tmp_path):
    s = Store(tmp_path / "db.sqlite3", prune_interval=0)
    await s.start()
    yield s
    await s.close()


async def test_set_and_verify_with_an_argon2id_hash(store):
    pin = ParentPin(store)
    assert not await pin.is_set()
    assert (await pin.verify(PIN)).reason == "unset"
    await pin.set_pin(PIN)
    stored = await store.run_read(lambda c: c.execute("SELECT hash FROM parent_pin").fetchone()[0])
    assert stored.startswith("$argon2id$") and PIN not in stored
    assert (await pin.verify(PIN)).ok
    wrong = await pin.verify("1357")
    assert (wrong.ok, wrong.reason, wrong.failures) == (False, "wrong", 1)
    assert (await pin.verify(None)).reason == "wrong"


@pytest.mark.parametrize("bad", ["", "123", " 1234", "x" * 65])
async def test_too_short_or_padded_pins_are_refused(store, bad):
    with pytest.raises(PinError):
        await ParentPin(store, hasher=FAST).set_pin(bad)


async def test_brute_force_locks_out_and_the_lockout_doubles(store):
    clock = Clock()
    pin = ParentPin(store, clock=clock, hasher=FAST)
    await pin.set_pin(PIN)
    verdicts = [await pin.verify(f"00{n:02d}") for n in range(MAX_FAILURES)]
    assert [v.reason for v in verdicts] == ["wrong"] * (MAX_FAILURES - 1) + ["locked"]
    assert verdicts[-1].locked_until == clock.now + BASE_LOCKOUT_SECONDS
    refused = await pin.verify(PIN)  # even the right PIN waits out the lockout
    assert (refused.ok, refused.reason) == (False, "locked")
    clock.now += BASE_LOCKOUT_SECONDS + 1
    for n in range(MAX_FAILURES):
        last = await pin.verify(f"11{n:02d}")
    assert last.locked_until == clock.now + 2 * BASE_LOCKOUT_SECONDS  # doubled
    clock.now += 2 * BASE_LOCKOUT_SECONDS + 1
    assert (await pin.verify(PIN)).ok
    for n in range(MAX_FAILURES):  # a correct PIN resets both counters
        last = await pin.verify(f"22{n:02d}")
    assert last.locked_until == clock.now + BASE_LOCKOUT_SECONDS


async def test_the_lockout_survives_a_restart(tmp_path):
    clock = Clock()
    first = Store(tmp_path / "db.sqlite3", prune_interval=0)
    await first.start()
    pin = ParentPin(first, clock=clock, hasher=FAST)
    await pin.set_pin(PIN)
    for n in range(MAX_FAILURES):
        await pin.verify(f"99{n:02d}")
    await first.close()
    second = Store(tmp_path / "db.sqlite3", prune_interval=0)
    await second.start()
    try:
        again = ParentPin(second, clock=clock, hasher=FAST)
        assert (await again.verify(PIN)).reason == "locked"
        assert (await again.status())["locked_until"] == clock.now + BASE_LOCKOUT_SECONDS
        clock.now += BASE_LOCKOUT_SECONDS + 1
        assert (await again.verify(PIN)).ok
    finally:
        await second.close()


def test_a_broken_locked_file_still_counts_as_locked(tmp_path):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "kid.yaml").write_text("locked: true\nrules: [\n", encoding="utf-8")
    (tmp_path / "profiles" / "open.yaml").write_text(DEFAULT_PROFILE, encoding="utf-8")
    assert profile_locked(tmp_path, "kid") and not profile_locked(tmp_path, "open")
    assert not profile_locked(tmp_path, "missing") and not profile_locked(tmp_path, None)


# ---- the service with a locked profile -----------------------------------------------------

@pytest.fixture
def locked_rules(rules_dir):
    (rules_dir / "profiles" / "kid.yaml").write_text(KID_PROFILE, encoding="utf-8")
    (rules_dir / "profiles" / "no-personalized.yaml").write_text(NO_PERSONALIZED, encoding="utf-8")
    return rules_dir


@pytest.fixture
async def client(aiohttp_client, runtime, locked_rules):
    return await aiohttp_client(init_app(ServiceConfig(runtime, manage_runtime=True)))


@pytest.fixture
async def locked(client, runtime, token):
    """The active profile is the locked 'kid', a PIN is set, the kid's device is assigned."""
    runtime.set_profile("kid")
    await ParentPin(runtime.store).set_pin(PIN)
    await runtime.minors.set_device("user:kid", "kid", "Kid")
    return runtime


def with_pin(auth: dict, pin: str | None = PIN) -> dict:
    return {**auth, PIN_HEADER: pin} if pin else dict(auth)


async def add_ext_rule(client, auth) -> str:
    response = await client.post("/api/extension/rules", json={
        "kind": "hide_author", "platform": "demo", "author": "someone"}, headers=with_pin(auth))
    assert response.status == 201, await response.text()
    return (await response.json())["id"]


async def setup_my_rule(client, runtime, auth):
    response = await client.post("/api/my-rules", json={"rule": "id: mine\naction: hide\n"},
                                 headers=with_pin(auth))
    assert response.status == 201, await response.text()
    return {"id": "mine"}


async def pending_request(runtime) -> int:
    return (await runtime.minors.add_time_request("user:kid", 20, "homework video"))["id"]


async def no_setup(client, runtime, auth):
    return {}


async def setup_undo(client, runtime, auth):
    return {"id": await add_ext_rule(client, auth)}


async def setup_request(client, runtime, auth):
    return {"request": await pending_request(runtime)}


# (route name, method, path, body, setup) — every route that changes settings.
CHANGING_ROUTES = [
    ("profile_put", "PUT", "/api/profiles/kid",
     lambda s: {"yaml": KID_PROFILE.replace("title: Kid", "title: Kid v2")}, no_setup),
    ("profile_active", "POST", "/api/profiles/active", lambda s: {"name": "strict"}, no_setup),
    ("extension_rules", "POST", "/api/extension/rules",
     lambda s: {"kind": "hide_author", "platform": "demo", "author": "x"}, no_setup),
    ("extension_undo", "POST", "/api/extension/undo", lambda s: {"id": s["id"]}, setup_undo),
    ("extension_switch", "POST", "/api/extension/switch",
     lambda s: {"name": "hide_personalized", "on": True}, no_setup),
    ("extension_pause", "POST", "/api/extension/pause", lambda s: {"minutes": 5}, no_setup),
    ("my_rules_add", "POST", "/api/my-rules",
     lambda s: {"rule": "id: hide-x\nwhen: {author: x}\naction: hide\n"}, no_setup),
    ("my_rules_remove", "POST", "/api/my-rules/remove", lambda s: {"id": s["id"]}, setup_my_rule),
    ("minors_device_put", "PUT", "/api/minors/devices/user:kid",
     lambda s: {"profile": "strict"}, no_setup),
    ("minors_device_remove", "POST", "/api/minors/devices/user:kid/remove", lambda s: None, no_setup),
    ("minors_request_decide", "POST", "/api/minors/requests/{request}",
     lambda s: {"approve": True, "minutes": 15}, setup_request),
    ("minors_grant", "POST", "/api/minors/grant",
     lambda s: {"device": "user:kid", "minutes": 10}, no_setup),
]


async def snapshot(runtime, rules_dir) -> dict:
    files = {p.name: p.read_text() for p in sorted((rules_dir / "profiles").glob("*.yaml"))}
    return {"files": files, "active": runtime.engine.profile.name,
            "devices": [(d["name"], d["profile"]) for d in await runtime.minors.devices()],
            "requests": await runtime.minors.time_requests("pending"),
            "usage": (await runtime.minors.usage("user:kid", time.time()))["extra_minutes"],
            "my_rules": myrules.layer_path().read_text() if myrules.layer_path().exists() else None,
            "extension": (runtime.config.data_dir / "extension.json").read_text()
            if (runtime.config.data_dir / "extension.json").exists() else None}


@pytest.mark.parametrize("route,method,path,body,setup", CHANGING_ROUTES,
                         ids=[r[0] for r in CHANGING_ROUTES])
async def test_each_changing_route_needs_the_pin_on_a_locked_profile(
        client, locked, auth, locked_rules, route, method, path, body, setup):
    state = await setup(client, locked, auth)
    path, payload = path.format(**state), body(state)
    before = await snapshot(locked, locked_rules)
    for pin, outcome in ((None, "refused_no_pin"), ("1357", "refused_wrong_pin")):
        response = await client.request(method, path, json=payload, headers=with_pin(auth, pin))
        assert response.status == 403, (route, pin, await response.text())
        assert "locked" in (await response.json())["error"]
        assert await snapshot(locked, locked_rules) == before, f"{route} changed something"
    response = await client.request(method, path, json=payload, headers=with_pin(auth))
    assert response.status in (200, 201), (route, await response.text())
    assert await snapshot(locked, locked_rules) != before
    rows = [r for r in await audit.entries(locked.store) if r["route"] == route]
    assert [r["outcome"] for r in rows][:3] == ["allowed_with_pin", "refused_wrong_pin", "refused_no_pin"]
    assert all(r["method"] == method and r["time"] > 0 for r in rows)
    assert rows[0]["profile"] or rows[0]["device"]


def test_the_route_table_covers_every_changing_api_route():
    """A new PUT/POST/DELETE route must be added here (or to the not-a-settings-change list)."""
    from aiohttp import web
    from feedlens.service.routes import setup_routes

    app = web.Application()
    setup_routes(app)
    changing = {r.name for r in app.router.routes()
                if r.method in ("PUT", "POST", "DELETE") and r.resource.canonical.startswith("/api/")}
    not_settings = {"extension_pair",  # pairing hands out the token; it changes no profile
                    "my_rules_check",  # checks a draft rule; changes nothing
                    "login_link",  # a one-time dashboard link; the parent page keeps its own PIN
                    # checks the subscribed rule packs now; a pack never replaces a profile
                    # (layers.py), so a locked profile stays as the parent set it
                    "packs_update",
                    # says what the user chose on a platform: the choice watchdog only observes,
                    # and no profile, rule or device setting changes
                    "choices_declare"}
    other_features = {n for n in changing if n.startswith(("report", "research"))}  # no profile changes
    assert changing - not_settings - other_features == {r[0] for r in CHANGING_ROUTES}


async def test_a_correct_pin_is_refused_during_a_lockout_with_429(client, locked, auth):
    for n in range(MAX_FAILURES):
        response = await client.post("/api/profiles/active", json={"name": "strict"},
                                     headers=with_pin(auth, f"00{n:02d}"))
        assert response.status == (403 if n < MAX_FAILURES - 1 else 429)
    response = await client.post("/api/profiles/active", json={"name": "strict"}, headers=with_pin(auth))
    assert response.status == 429 and int(response.headers["Retry-After"]) > 0
    assert locked.engine.profile.name == "kid"
    outcomes = [r["outcome"] for r in await audit.entries(locked.store)]
    assert outcomes[:2] == ["refused_locked_out", "refused_locked_out"]
    assert outcomes.count("refused_wrong_pin") == MAX_FAILURES - 1


async def test_choosing_a_locked_profile_is_free_leaving_it_is_not(client, runtime, auth):
    await ParentPin(runtime.store).set_pin(PIN)
    response = await client.post("/api/profiles/active", json={"name": "kid"}, headers=auth)
    assert response.status == 200 and runtime.engine.profile.name == "kid"  # it only tightens
    response = await client.post("/api/profiles/active", json={"name": "kid"}, headers=auth)
    assert response.status == 200  # choosing it again changes nothing
    response = await client.post("/api/profiles/active", json={"name": "default"}, headers=auth)
    assert response.status == 403 and runtime.engine.profile.name == "kid"
    rows = await audit.entries(runtime.store)
    assert [(r["outcome"], r["profile"]) for r in rows] == [
        ("refused_no_pin", "kid"), ("allowed", "kid"), ("allowed", "default")]


async def test_a_locked_profile_without_any_pin_set_refuses_and_says_how(client, runtime, auth):
    runtime.set_profile("kid")
    response = await client.post("/api/extension/pause", json={"minutes": 5}, headers=with_pin(auth))
    assert response.status == 403
    assert "set-pin" in (await response.json())["error"]
    assert (await audit.entries(runtime.store))[0]["outcome"] == "refused_pin_unset"


async def test_unlocked_changes_need_no_pin_but_are_audited(client, runtime, auth):
    response = await client.post("/api/profiles/active", json={"name": "strict"}, headers=auth)
    assert response.status == 200
    response = await client.put("/api/minors/devices/user:tablet", json={"profile": "strict"},
                                headers=auth)
    assert response.status == 200
    rows = await audit.entries(runtime.store)
    assert [(r["route"], r["outcome"]) for r in rows] == [
        ("minors_device_put", "allowed"), ("profile_active", "allowed")]
    assert rows[0]["device"] == "user:tablet"
    assert (rows[1]["profile"], rows[1]["detail"]) == ("default", "to strict")


async def test_once_a_pin_is_set_minors_decisions_always_need_it(client, runtime, auth):
    await ParentPin(runtime.store).set_pin(PIN)
    await runtime.minors.set_device("user:tablet", "strict")  # an unlocked profile
    response = await client.post("/api/minors/grant", json={"device": "user:tablet", "minutes": 10},
                                 headers=auth)
    assert response.status == 403
    response = await client.post("/api/minors/grant", json={"device": "user:tablet", "minutes": 10},
                                 headers=with_pin(auth))
    assert response.status == 200


async def test_the_audit_api_pages_newest_first(client, locked, auth):
    for _ in range(3):
        await client.post("/api/extension/pause", json={"minutes": 5}, headers=auth)
    response = await client.get("/api/minors/audit?limit=2", headers=auth)
    data = await response.json()
    assert [r["outcome"] for r in data["entries"]] == ["refused_no_pin"] * 2
    assert data["entries"][0]["id"] > data["entries"][1]["id"]
    rest = await (await client.get(f"/api/minors/audit?before_id={data['next_before_id']}",
                                   headers=auth)).json()
    assert len(rest["entries"]) == 1 and rest["entries"][0]["route"] == "extension_pause"


async def test_the_pin_status_route_says_whether_it_is_set_never_the_hash(client, locked, auth):
    data = await (await client.get("/api/minors/pin", headers=auth)).json()
    assert data["set"] is True and data["failures"] == 0 and data["locked_until"] is None
    assert "argon2" not in json.dumps(data)


async def test_the_extension_state_says_locked_and_records_contact(client, locked, auth):
    from feedlens.service.parent_guard import last_extension_contact

    app = client.server.app
    assert await last_extension_contact(app) is None
    state = await (await client.get("/api/extension/state", headers=auth)).json()
    assert state["locked"] is True
    assert await last_extension_contact(app) is not None
