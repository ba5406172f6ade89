"""The service's guards: token on every /api route, Origin and Host policy, exact CORS."""

from __future__ import annotations

import os
import stat

import pytest

from feedlens.service import security
from feedlens.service.routes import setup_routes
from tests.service_support import (  # noqa: F401 (fixtures)
    API_ROUTES, MISSING_OK, EXTENSION_ORIGINS, FOREIGN_ORIGINS, auth, client, rules_dir, runtime, token,
)

pytestmark = pytest.mark.filterwarnings("error")


async def call(client, method, path, body=None, headers=None):
    return await client.request(method, path, json=body, headers=headers or {})


# ---- token ---------------------------------------------------------------------------------

def test_every_api_route_is_in_the_token_test(aiohttp_client):
    """A route added later without a row in API_ROUTES fails here, not silently."""
    from aiohttp import web

    app = web.Application()
    setup_routes(app)
    routes = [r for r in app.router.routes()
              if r.resource.canonical.startswith("/api/") and r.method != "HEAD"]
    declared = {(r.method, r.resource.canonical) for r in routes}

    def canonical(method: str, path: str) -> tuple[str, str]:
        path = path.split("?")[0]
        found = [r.resource.canonical for r in routes
                 if r.method == method and r.resource._match(path) is not None]
        return method, found[0] if found else path
    tested = {canonical(m, p) for m, p, _ in API_ROUTES} | {("GET", "/api/health"), ("POST", "/api/pair")}
    assert declared == tested


@pytest.mark.parametrize("method,path,body", API_ROUTES)
async def test_each_api_route_refuses_without_token(client, method, path, body):
    response = await call(client, method, path, body)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "token" in (await response.json())["error"]


@pytest.mark.parametrize("method,path,body", API_ROUTES)
async def test_each_api_route_refuses_a_wrong_token(client, token, method, path, body):
    wrong = {"Authorization": f"Bearer {token[:-1]}{'A' if token[-1] != 'A' else 'B'}"}
    response = await call(client, method, path, body, wrong)
    assert response.status == 401


@pytest.mark.parametrize("method,path,body", API_ROUTES)
async def test_each_api_route_answers_with_the_token(client, auth, method, path, body):
    response = await call(client, method, path, body, auth)
    # Undoing a rule that was never added is a clean 404; every other row succeeds.
    expected = (404,) if path in MISSING_OK else (200, 201)
    assert response.status in expected, await response.text()
    assert response.content_type == "application/json"


@pytest.mark.parametrize("scheme", ["Basic", "Token", ""])
async def test_only_the_bearer_scheme_counts(client, token, scheme):
    response = await call(client, "GET", "/api/items", headers={"Authorization": f"{scheme} {token}"})
    assert response.status == 401


async def test_health_is_minimal_without_token_and_full_with_it(client, auth):
    minimal = await (await call(client, "GET", "/api/health")).json()
    assert set(minimal) == {"ok", "version"} and minimal["ok"] is True
    full = await (await call(client, "GET", "/api/health", headers=auth)).json()
    assert full["counters"]["items_marked"] == 30
    assert "store" in full and full["config"]["data_dir"].endswith("data")


async def test_health_with_a_wrong_token_is_refused(client):
    response = await call(client, "GET", "/api/health", headers={"Authorization": "Bearer nope"})
    assert response.status == 401


async def test_unknown_paths_need_the_token_too(client, auth):
    assert (await call(client, "GET", "/api/nothing")).status == 401
    assert (await call(client, "GET", "/nothing")).status == 401
    response = await call(client, "GET", "/api/nothing", headers=auth)
    assert response.status == 404 and "error" in await response.json()


async def test_a_wrong_method_is_405_json(client, auth):
    response = await call(client, "DELETE", "/api/items", headers=auth)
    assert response.status == 405
    assert "GET" in response.headers["Allow"]
    assert "error" in await response.json()


# ---- token file ----------------------------------------------------------------------------

async def test_token_file_is_created_once_with_mode_0600(client, runtime, token):
    path = runtime.config.data_dir / "token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(token) >= 43  # token_urlsafe(32)
    assert security.load_or_create_token(runtime.config.data_dir) == token


def test_token_file_mode_ignores_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        security.load_or_create_token(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "token").stat().st_mode) == 0o600


def test_a_loosened_token_file_is_tightened_again(tmp_path):
    token = security.load_or_create_token(tmp_path)
    os.chmod(tmp_path / "token", 0o644)
    assert security.load_or_create_token(tmp_path) == token
    assert stat.S_IMODE((tmp_path / "token").stat().st_mode) == 0o600


def test_a_truncated_token_file_is_an_error_not_a_weak_token(tmp_path):
    (tmp_path / "token").write_text("short\n")
    os.chmod(tmp_path / "token", 0o600)
    with pytest.raises(security.TokenError):
        security.load_or_create_token(tmp_path)


# ---- Origin --------------------------------------------------------------------------------

@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
@pytest.mark.parametrize("method,path,body", [
    ("GET", "/api/items", None), ("GET", "/api/health", None),
    ("POST", "/api/profiles/active", {"name": "strict"}),
    ("PUT", "/api/profiles/strict", {"yaml": "title: x\nversion: 1\nrules: []\n"}),
])
async def test_a_foreign_origin_is_refused_even_with_the_token(client, auth, runtime, origin,
                                                               method, path, body):
    before = runtime.engine.profile.name
    response = await call(client, method, path, body, {**auth, "Origin": origin})
    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert runtime.engine.profile.name == before and runtime.profile_name == before  # nothing changed


async def test_a_foreign_page_cannot_change_a_profile_file(client, auth, rules_dir):
    path = rules_dir / "profiles" / "strict.yaml"
    before = path.read_text()
    response = await call(client, "PUT", "/api/profiles/strict",
                          {"yaml": "title: x\nversion: 1\nrules: []\n"},
                          {**auth, "Origin": "https://evil.example"})
    assert response.status == 403 and path.read_text() == before


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
async def test_a_foreign_preflight_is_refused(client, origin):
    response = await client.options("/api/items", headers={
        "Origin": origin, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("origin", EXTENSION_ORIGINS)
async def test_an_extension_preflight_gets_an_exact_echo(client, auth, origin):
    await call(client, "POST", "/api/pair", {}, {**auth, "Origin": origin})  # the paired one
    response = await client.options("/api/profiles/active", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Origin" in response.headers.getall("Vary")


@pytest.mark.parametrize("origin", EXTENSION_ORIGINS)
@pytest.mark.parametrize("method,path,body", [
    ("GET", "/api/marks?platform=demo&ids=a", None),
    ("POST", "/api/profiles/active", {"name": "strict"}),
])
async def test_an_extension_origin_is_allowed_with_exact_cors(client, auth, origin, method, path, body):
    response = await call(client, method, path, body, {**auth, "Origin": origin})
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert "Origin" in response.headers.getall("Vary")


@pytest.mark.parametrize("origin", EXTENSION_ORIGINS)
async def test_an_extension_still_needs_the_token(client, auth, origin):
    await call(client, "POST", "/api/pair", {}, {**auth, "Origin": origin})  # the paired one
    response = await call(client, "GET", "/api/items", headers={"Origin": origin})
    assert response.status == 401
    # The extension may read the refusal (so it can ask the user for the token).
    assert response.headers["Access-Control-Allow-Origin"] == origin


async def test_the_services_own_origin_is_allowed(client, auth):
    for host in ("127.0.0.1", "localhost"):
        origin = f"http://{host}:{client.port}"
        response = await call(client, "GET", "/api/items", headers={**auth, "Origin": origin})
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == origin


async def test_no_origin_is_curl_and_is_allowed_with_the_token(client, auth):
    response = await call(client, "GET", "/api/items", headers=auth)
    assert response.status == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers.getall("Vary")


async def test_cors_is_never_a_wildcard(client, auth):
    for origin in EXTENSION_ORIGINS + [None]:
        headers = {**auth, **({"Origin": origin} if origin else {})}
        for method, path, body in API_ROUTES:
            response = await call(client, method, path, body, headers)
            assert response.headers.get("Access-Control-Allow-Origin") in (origin, None)
            assert response.headers.get("Access-Control-Allow-Origin") != "*"


# ---- Host (DNS rebinding) ------------------------------------------------------------------

@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "",
                                  "127.0.0.1.evil.example:{port}", "[::2]:{port}"])
async def test_a_foreign_host_header_is_refused(client, auth, host):
    response = await call(client, "GET", "/api/items",
                          headers={**auth, "Host": host.format(port=client.port)})
    assert response.status == 403


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"])
async def test_loopback_host_headers_are_accepted(client, auth, host):
    response = await call(client, "GET", "/api/items",
                          headers={**auth, "Host": host.format(port=client.port)})
    assert response.status == 200


def test_origin_and_host_parsing():
    assert security.is_own_origin("http://[::1]:8787", 8787)
    assert not security.is_own_origin("http://[::1]:8788", 8787)
    assert not security.is_own_origin("http://127.0.0.1:8787/", 8787)
    assert security.host_allowed("localhost", 80) and not security.host_allowed("localhost", 8787)
    assert security.split_host("[::1]:9") == ("::1", 9)
    assert security.split_host("a/b") is None


# ---- response headers ----------------------------------------------------------------------

async def test_responses_are_not_cached_or_sniffed(client, auth):
    response = await call(client, "GET", "/api/items", headers=auth)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_serve_refuses_a_non_loopback_address(runtime):
    from feedlens.service import ServiceConfig, serve

    with pytest.raises(ValueError, match="loopback"):
        await serve(ServiceConfig(runtime, host="0.0.0.0", port=0))
