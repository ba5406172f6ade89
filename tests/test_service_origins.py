"""Only the extension that paired may call the service (service/origins.py, issue 15 item 5)."""

from __future__ import annotations

import stat

import pytest

from feedlens import pairing
from tests.service_support import auth, client, rules_dir, runtime, token  # noqa: F401 (fixtures)

pytestmark = pytest.mark.filterwarnings("error")

REAL = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
OTHER = "chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba"
FIREFOX = "moz-extension://0f3c1c2e-7d3a-4b9e-9a55-0d7b5e0d2c11"


async def pair_with_code(client, runtime, origin: str):
    code, _ = pairing.new_code(runtime.config.data_dir)
    return await client.post("/api/pair", json={"code": code}, headers={"Origin": origin})


async def state(client, auth, origin: str):
    return await client.get("/api/extension/state", headers={**auth, "Origin": origin})


async def test_after_pairing_only_that_extension_is_accepted(client, runtime, auth, token):
    response = await pair_with_code(client, runtime, REAL)
    assert response.status == 200 and (await response.json())["token"] == token
    assert (await state(client, auth, REAL)).status == 200
    refused = await state(client, auth, OTHER)  # even with the token
    body = await refused.json()
    assert refused.status == 403 and body["code"] == "extension_not_paired"
    assert (await state(client, auth, FIREFOX)).status == 403
    # the service's own pages and clients without an Origin (curl, the CLI) are unaffected
    own = f"http://127.0.0.1:{client.port}"
    assert (await state(client, auth, own)).status == 200
    assert (await client.get("/api/extension/state", headers=auth)).status == 200


async def test_the_origin_is_kept_private_and_survives_a_restart(client, runtime, auth):
    await pair_with_code(client, runtime, FIREFOX)
    path = runtime.config.data_dir / pairing.ORIGIN_FILE
    assert path.read_text().strip() == FIREFOX
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert pairing.paired_origin(runtime.config.data_dir) == FIREFOX


async def test_a_code_is_claimed_by_one_extension_only(client, runtime, auth):
    code, _ = pairing.new_code(runtime.config.data_dir)
    first = await client.post("/api/pair", json={"code": code}, headers={"Origin": REAL})
    second = await client.post("/api/pair", json={"code": code}, headers={"Origin": OTHER})
    assert first.status == 200
    assert second.status == 403 and "token" not in await second.json()
    assert (await state(client, auth, REAL)).status == 200
    assert (await state(client, auth, OTHER)).status == 403


async def test_pairing_again_replaces_the_extension(client, runtime, auth):
    await pair_with_code(client, runtime, REAL)
    assert (await pair_with_code(client, runtime, FIREFOX)).status == 200
    assert (await state(client, auth, FIREFOX)).status == 200
    assert (await state(client, auth, REAL)).status == 403


async def test_pairing_with_the_token_records_the_extension(client, runtime, auth):
    await pair_with_code(client, runtime, REAL)
    response = await client.post("/api/pair", json={}, headers={**auth, "Origin": OTHER})
    assert response.status == 200
    assert (await state(client, auth, OTHER)).status == 200
    assert (await state(client, auth, REAL)).status == 403


async def test_pairing_without_code_needs_the_token(client, runtime):
    response = await client.post("/api/pair", json={}, headers={"Origin": OTHER})
    assert response.status == 401 and (await response.json())["code"] == "bad_token"
    assert pairing.paired_origin(runtime.config.data_dir) is None


async def test_another_extension_sees_only_the_tokenless_health(client, runtime, auth):
    await pair_with_code(client, runtime, REAL)
    minimal = await client.get("/api/health", headers={"Origin": OTHER})
    assert minimal.status == 200 and set(await minimal.json()) == {"ok", "version"}
    full = await client.get("/api/health", headers={**auth, "Origin": OTHER})
    assert full.status == 403
    preflight = await client.options("/api/items", headers={
        "Origin": OTHER, "Access-Control-Request-Method": "GET"})
    assert preflight.status == 403 and "Access-Control-Allow-Origin" not in preflight.headers


async def test_before_any_recorded_pairing_the_first_extension_with_the_token_is_kept(
        client, runtime, auth):
    # paired by an older feedlens: the extension has the token, no origin is on file
    assert (await state(client, auth, REAL)).status == 200
    assert pairing.paired_origin(runtime.config.data_dir) == REAL
    assert (await state(client, auth, OTHER)).status == 403
