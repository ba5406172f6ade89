"""The request's language: localized JSON errors with stable codes, the picker's cookie, and
profile titles in the reader's language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from feedlens import i18n, pairing
from tests.service_support import auth, client, rules_dir, runtime, token  # noqa: F401 (fixtures)

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
SOURCE = Path(__file__).resolve().parent.parent / "proxy" / "feedlens"


# ---- errors --------------------------------------------------------------------------------

async def test_wrong_pairing_code_in_english_and_chinese(client, runtime):
    pairing.new_code(runtime.config.data_dir)
    response = await client.post("/api/pair", json={"code": "AAAA-AAAA"})
    body = await response.json()
    assert response.status == 403
    assert body == {"error": "wrong pairing code", "code": "bad_pairing_code", "messages": []}
    response = await client.post("/api/pair", json={"code": "AAAA-AAAA"}, headers=ZH)
    body = await response.json()
    assert body["code"] == "bad_pairing_code" and body["error"] == "配对码错误"


async def test_unknown_field_in_chinese_names_the_fields(client):
    response = await client.post("/api/pair", json={"code": "x", "pin": "1"}, headers=ZH)
    body = await response.json()
    assert response.status == 400 and body["code"] == "unknown_field"
    assert body["error"] == "未知字段：pin；允许的字段：code"
    response = await client.post("/api/pair", json={"code": "x", "pin": "1"})
    assert (await response.json())["error"] == "unknown field(s): pin; allowed: code"


async def test_the_cookie_beats_accept_language_for_errors(client):
    client.session.cookie_jar.update_cookies({"feedlens_lang": "zh-CN"})
    response = await client.get("/api/marks", headers={"Accept-Language": "en"})
    body = await response.json()
    assert body["code"] == "bad_token" and body["error"].startswith("令牌缺失或错误")


async def test_an_error_without_its_own_entry_is_not_half_english(client, auth):
    # "until must be after since" has no catalogue entry: in Chinese the general 400 text,
    # with the English text kept apart as `detail`.
    response = await client.get("/api/stats?since=10&until=5", headers={**auth, **ZH})
    body = await response.json()
    assert response.status == 400 and body["code"] == "bad_request"
    assert body["error"] == i18n.t("zh", "errors.bad_request")
    assert "until" in body["detail"]
    response = await client.get("/api/stats?since=10&until=5", headers=auth)
    assert (await response.json())["error"] == "until must be after since"


def test_every_error_code_raised_has_a_message_in_both_languages():
    used = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'code="([a-z_]+)"', text))
        if path.name == "pairing.py":
            used |= set(re.findall(r',\s*"([a-z_]+)"\)', text))
    assert {"bad_pairing_code", "unknown_field", "origin_refused", "profile_locked"} <= used
    for lang in i18n.LANGUAGES:
        missing = sorted(code for code in used if f"errors.{code}" not in i18n.messages(lang))
        assert not missing, (lang, missing)


# ---- the language picker -------------------------------------------------------------------

async def test_picker_cookie_switches_the_page_language(client, auth):
    page = await (await client.get("/", headers={**auth, "Accept-Language": "en"})).text()
    assert '<html lang="en">' in page and 'href="/lang?set=zh-CN&amp;next=/"' in page
    response = await client.get("/lang?set=zh-CN&next=/", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/"
    cookie = response.cookies["feedlens_lang"]
    assert cookie.value == "zh-CN" and cookie["httponly"] and cookie["samesite"] == "Strict"
    page = await (await client.get("/", headers={**auth, "Accept-Language": "en"})).text()
    assert '<html lang="zh-CN">' in page and i18n.t("zh", "dashboard.health") in page
    await client.get("/lang?set=en&next=/", allow_redirects=False)
    page = await (await client.get("/", headers={**auth, **ZH})).text()
    assert '<html lang="en">' in page


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example",
                                    "evil.example", "/\r\nSet-Cookie: x=1", "javascript:alert(1)"])
async def test_picker_refuses_an_open_redirect(client, target):
    response = await client.get("/lang", params={"set": "en", "next": target}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/"


async def test_picker_keeps_a_local_path_and_refuses_an_unknown_language(client):
    response = await client.get("/lang?set=en&next=/reports", allow_redirects=False)
    assert response.headers["Location"] == "/reports"
    response = await client.get("/lang?set=fr&next=/", allow_redirects=False)
    assert response.status == 400 and (await response.json())["code"] == "bad_language"


# ---- profile titles ------------------------------------------------------------------------

LOCALIZED_PROFILE = """\
title: {en: Quiet, zh-CN: 安静}
version: 1
description:
  en: Hides ads.
  zh-CN: 隐藏广告。
rules: []
"""


async def test_profile_titles_in_the_readers_language(client, auth, rules_dir):
    (rules_dir / "profiles" / "quiet.yaml").write_text(LOCALIZED_PROFILE, encoding="utf-8")
    found = (await (await client.get("/api/profiles", headers={**auth, **ZH})).json())["profiles"]
    quiet = next(p for p in found if p["name"] == "quiet")
    assert quiet["title"] == "Quiet" and quiet["description"] == "Hides ads."  # as before
    assert quiet["title_localized"] == "安静" and quiet["description_localized"] == "隐藏广告。"
    strict = next(p for p in found if p["name"] == "strict")  # a plain string serves both
    assert strict["title_localized"] == strict["title"] == "No ads"
    one = await (await client.get("/api/profiles/quiet", headers=auth)).json()
    assert one["title_localized"] == "Quiet"


async def test_dashboard_shows_the_active_profile_title_in_chinese(client, auth, rules_dir):
    (rules_dir / "profiles" / "quiet.yaml").write_text(LOCALIZED_PROFILE, encoding="utf-8")
    response = await client.post("/api/profiles/active", json={"name": "quiet"}, headers=auth)
    assert response.status == 200, await response.text()
    page = await (await client.get("/", headers={**auth, **ZH})).text()
    assert "quiet — 安静" in page
    page = await (await client.get("/", headers={**auth, "Accept-Language": "en"})).text()
    assert "quiet — Quiet" in page


def test_shipped_profiles_have_chinese_titles_and_descriptions():
    from feedlens import features, paths
    from feedlens.profiles import load_profile

    features.install()
    shipped = sorted(paths.profiles_dir(paths.bundled_rules_dir()).glob("*.yaml"))
    assert len(shipped) >= 8
    for path in shipped:
        profile = load_profile(path)
        for text in (profile.title_in("zh"), profile.description_in("zh")):
            assert re.search(r"[\u4e00-\u9fff]", text), (path.name, text)
        assert profile.title_in("en") == profile.title and profile.title.isascii()


async def test_extension_state_has_the_title_in_each_language(client, auth, rules_dir):
    (rules_dir / "profiles" / "quiet.yaml").write_text(LOCALIZED_PROFILE, encoding="utf-8")
    await client.post("/api/profiles/active", json={"name": "quiet"}, headers=auth)
    state = await (await client.get("/api/extension/state", headers=auth)).json()
    assert state["title"] == "Quiet" and state["title_localized"] == {"en": "Quiet", "zh-CN": "安静"}
