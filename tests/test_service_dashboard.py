"""The dashboard page: credentials, language, content, and no external resources."""

from __future__ import annotations

import re
import time

import pytest

from feedlens.language import pick_language
from feedlens.service import security
from tests.service_support import (  # noqa: F401 (fixtures)
    auth, client, demo_item, log_in, record, rules_dir, runtime, token,
)

pytestmark = pytest.mark.filterwarnings("error")


async def fill(runtime, *records):
    for r in records:
        runtime.store.submit(r)
    await runtime.store.flush()


async def page(client, headers=None, query=""):
    response = await client.get(f"/{query}", headers=headers or {}, allow_redirects=False)
    return response, await response.text()


# ---- who can see it ------------------------------------------------------------------------

async def test_without_credentials_the_page_says_where_to_get_the_link(client):
    response, text = await page(client)
    assert response.status == 401
    assert "feedlens run" in text
    assert "Health" not in text and "<table" not in text


async def test_a_wrong_code_in_the_link_is_refused(client):
    response, _ = await page(client, query="?code=" + "x" * 43)
    assert response.status == 401
    assert "Set-Cookie" not in response.headers


async def test_the_api_token_in_a_link_opens_nothing(client, token):
    """It would stay in the browser's history: only one-time codes go into URLs."""
    response, text = await page(client, query=f"?token={token}")
    assert response.status == 401 and "Set-Cookie" not in response.headers
    assert "feedlens dashboard" in text  # where a working link comes from


async def test_the_link_sets_a_strict_httponly_cookie_and_drops_the_code(client, token):
    response = await log_in(client, token)
    assert response.status == 303
    assert response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert token not in cookie  # the cookie is derived, not the token itself
    follow, text = await page(client)  # the client's jar now holds the cookie
    assert follow.status == 200 and "feedlens" in text


async def test_a_login_link_needs_the_token_and_carries_no_token(client, token, auth):
    assert (await client.post("/api/login-link")).status == 401
    body = await (await client.post("/api/login-link", headers=auth)).json()
    assert body["url"].startswith("http://127.0.0.1:") and body["url"].endswith(f"/?code={body['code']}")
    assert token not in body["url"] and 0 < body["expires_in"] <= 600


async def test_the_dashboard_cookie_does_not_open_the_api(client, token):
    await log_in(client, token)
    response = await client.get("/api/items")
    assert response.status == 401


async def test_a_forged_cookie_is_refused(client, token):
    client.session.cookie_jar.update_cookies(
        {security.dashboard_cookie_name(client.port): "0" * 64})
    response, _ = await page(client)
    assert response.status == 401


async def test_curl_with_the_bearer_token_sees_the_page(client, auth):
    response, text = await page(client, auth)
    assert response.status == 200 and response.content_type == "text/html"


async def test_a_foreign_origin_cannot_load_the_page(client, auth):
    response, _ = await page(client, {**auth, "Origin": "https://evil.example"})
    assert response.status == 403


async def test_the_page_cannot_be_framed_and_allows_no_foreign_resources(client, auth, token):
    response, text = await page(client, auth)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert f'<style nonce="{nonce}">' in text
    assert response.headers["X-Frame-Options"] == "DENY"
    assert not re.search(r"(src|href)=\"?(https?:)?//", text)  # no CDN, no external links
    assert "<script" not in text  # read-only: nothing on the page calls the API
    assert token not in text


# ---- what it shows -------------------------------------------------------------------------

async def test_the_page_shows_health_and_todays_composition(client, auth, runtime):
    now = time.time()
    await fill(runtime,
               record([demo_item(0, "a", "followed"), demo_item(1, "b", "promoted", decision="hide"),
                       demo_item(2, "c", "personalized"), demo_item(3, "d", "personalized")], at=now),
               record([demo_item(0, "old", "popular")], at=now - 3 * 86400))
    response, text = await page(client, {**auth, "Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in text
    assert "Responses seen" in text and ">12<" in text  # the runtime's counters
    assert "Active profile" in text and "Mark only" in text
    assert "demo 3" in text  # adapter and version
    assert "Today&#39;s feed — 4 items" in text  # the apostrophe escaped by Jinja's autoescape
    assert "Personalised 2" in text and "Ad 1" in text and "Following 1" in text  # rules/vocabulary.yaml
    assert "popular" not in text.split("Today")[1]  # three days old: not today's
    assert "hidden 1" in text
    assert "No problems" in text


async def test_the_page_lists_problems(client, auth, runtime):
    runtime.adapter_errors.append("rules/platforms/x.yaml:7: <bad> thing")
    _, text = await page(client, auth)
    assert "rules/platforms/x.yaml:7: &lt;bad&gt; thing" in text  # escaped


async def test_chinese_when_the_browser_prefers_it(client, auth, runtime):
    await fill(runtime, record([demo_item(0, "a", "promoted")]))
    _, text = await page(client, {**auth, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert '<html lang="zh-CN">' in text
    assert "运行状态" in text and "今日信息流" in text and "广告 1" in text


async def test_the_lang_parameter_overrides_and_survives_the_redirect(client, token):
    response = await log_in(client, token, "zh")
    assert response.headers["Location"] == "/?lang=zh"
    _, text = await page(client, {"Accept-Language": "en"}, query="?lang=zh")
    assert "运行状态" in text


async def test_the_locked_page_speaks_the_browsers_language(client):
    _, text = await page(client, {"Accept-Language": "zh-TW"})
    assert "仪表盘链接" in text


@pytest.mark.parametrize("header,expected", [
    (None, "en"), ("", "en"), ("fr-FR", "en"), ("zh", "zh"), ("zh-Hans-CN", "zh"),
    ("en;q=0.5, zh-CN;q=0.8", "zh"), ("zh;q=0.3, en", "en"), ("zh;q=bad, en;q=0.1", "en"),
])
def test_language_choice(header, expected):
    assert pick_language(header) == expected


async def test_the_dashboard_has_a_json_twin(client, auth, runtime):
    await fill(runtime, record([demo_item(0, "a", "followed")]))
    data = await (await client.get("/api/dashboard", headers=auth)).json()
    assert data["today"]["items"] == 1
    assert data["counters"]["responses_seen"] == 12
    assert data["profile"]["name"] == "default"
    assert data["adapters"] == [{"platform": "demo", "version": "3", "endpoints": 2, "pack": "rules"}]
    assert data["pack_notices"] == []  # no user pack replaced anything


async def test_favicon_is_empty_and_public(client):
    assert (await client.get("/favicon.ico")).status == 204


async def test_the_overview_links_to_the_reports_parent_and_research_pages(client, auth):
    response = await client.get("/?lang=en", headers=auth)
    html = await response.text()
    for path in ("/reports", "/parent", "/research"):
        assert f'href="{path}"' in html


@pytest.mark.parametrize("lang, heading", [("en", "Feeds feedlens did not read"),
                                           ("zh", "feedlens 未能读取的信息流")])
async def test_coverage_gaps_are_shown_with_their_report_line(client, auth, runtime, lang, heading):
    _, before = await page(client, auth, f"?lang={lang}")
    assert heading not in before  # nothing to show yet
    runtime.gaps.seen("unclaimed", "demo", "api.demo.test", "/feed/other", 7, "3")
    runtime.gaps.seen("format_change", "demo", "api.demo.test", "/feed/home", 4, "3", endpoint="home")
    _, text = await page(client, auth, f"?lang={lang}")
    assert heading in text
    assert "feedlens unclaimed: api.demo.test/feed/other items=7 responses=1 adapter=demo@3" in text
    assert "feedlens format_change: api.demo.test/feed/home items=4 responses=1 adapter=demo@3 endpoint=home" in text
    data = await (await client.get("/api/dashboard", headers=auth)).json()
    assert [g["path"] for g in data["coverage"]["unclaimed"]] == ["/feed/other"]
