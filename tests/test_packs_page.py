"""The dashboard's /packs page with the real service and a real local pack server: each pack's
version, age, expiry, last check and result and its failing fixtures; subscribe, update now,
what changed between the kept versions, roll back, unsubscribe, all as checked form posts
(csrf, own Origin, the parent PIN with a locked profile); in English and in Chinese."""

from __future__ import annotations

import re

import pytest

from feedlens.minors.pin import ParentPin
from feedlens.packs import build, scaffold, versions
from feedlens.packs.subscriptions import load_all

from .pack_server import make_pack, new_key
from .service_support import client, rules_dir, runtime, token  # noqa: F401 (fixtures)
from .test_pack_updates import ARCHIVE, home, server  # noqa: F401 (fixtures)
from .test_rules_page import csrf_of, enter, post_form

NAME = "gadget-rules"
SEARCH = """  - name: search
    match: {host: api.gadget.example, path: /search}
    surface: search
    items: data.items
    fields: {id: id}
    provenance:
      - {default: search}
"""


def v2_changes(src):
    """Version 2: one endpoint added (search), one changed (home's default reason)."""
    adapter = src / "platforms" / "gadget.yaml"
    text = adapter.read_text().replace("are ranked for the user", "are ranked by the platform")
    adapter.write_text(text.rstrip("\n") + "\n" + SEARCH)


@pytest.fixture
def packs_env(home, monkeypatch):
    """The service's data dir (the runtime's) differs from the default one: the page must use
    the runtime's."""
    monkeypatch.setenv("FEEDLENS_DATA_DIR", str(home / "default-data"))
    return home


async def page(client, lang="en") -> str:
    response = await client.get(f"/packs?lang={lang}")
    assert response.status == 200
    return await response.text()


async def form(client, action: str, fields: dict, lang="en"):
    html = await page(client, lang)
    return await post_form(client, action, {"csrf": csrf_of(html, action), "lang": lang, **fields})


def section(html: str, name: str) -> str:
    return re.search(rf'<section class="pack[^"]*" id="pack-{name}">(.*?)</section>', html, re.S).group(1)


async def test_subscribe_update_changes_rollback_unsubscribe(packs_env, server, client, token, runtime):
    assert (await client.get("/packs")).status == 401
    await enter(client, token)
    key, pub = new_key()
    server.files[ARCHIVE] = make_pack(packs_env, key, "1")
    made = await form(client, "/packs/subscribe", {"url": server.url(ARCHIVE), "pubkey": pub})
    assert made.status == 303 and "notice=subscribed" in made.headers["Location"]
    data = runtime.config.data_dir
    assert versions.active_version(NAME, data) == "1" and not versions.root(NAME).exists()
    assert NAME in [p.name for p in runtime.layering.packs]  # reloaded: its adapter is in force
    html = await page(client)
    mine = section(html, NAME)
    assert "subscription" in mine and "<td>1</td>" in mine and "updated" in mine and "all pass" in mine
    assert "What changed" not in mine  # one version kept: nothing to compare or roll back to
    assert 'action="/packs/rollback"' not in mine

    server.files[ARCHIVE] = make_pack(packs_env, key, "2", before_signing=v2_changes)
    checked = await form(client, "/packs/update", {"name": NAME})
    assert "notice=checked" in checked.headers["Location"]
    assert versions.active_version(NAME, data) == "2"
    mine = section(await page(client), NAME)
    assert "What changed from version 1 to 2 (the active one)" in mine
    assert "<code>gadget</code>: changed" in mine
    assert "endpoints added: <code>search</code>" in mine
    assert "endpoints changed: <code>home</code> (provenance)" in mine
    assert "Kept versions" in mine and "1, 2" in mine

    back = await form(client, "/packs/rollback", {"name": NAME})
    assert "notice=rolled_back" in back.headers["Location"]
    assert versions.active_version(NAME, data) == "1" and load_all()[NAME].rolled_back == ["2"]
    mine = section(await page(client), NAME)
    assert "What changed from version 2 to 1 (the active one)" in mine
    assert "endpoints removed: <code>search</code>" in mine

    gone = await form(client, "/packs/unsubscribe", {"name": NAME})
    assert "notice=unsubscribed" in gone.headers["Location"]
    assert load_all() == {} and not versions.root(NAME, data).exists()
    assert f'id="pack-{NAME}"' not in await page(client)
    assert NAME not in [p.name for p in runtime.layering.packs]


async def test_forms_are_refused_without_csrf_from_elsewhere_and_with_a_bad_key(packs_env, server, client, token):
    await enter(client, token)
    key, pub = new_key()
    server.files[ARCHIVE] = make_pack(packs_env, key, "1")
    fields = {"url": server.url(ARCHIVE), "pubkey": pub, "lang": "en"}
    assert (await post_form(client, "/packs/subscribe", fields)).status == 403  # no csrf
    html = await page(client)
    foreign = await client.post("/packs/subscribe", data={**fields, "csrf": csrf_of(html, "/packs/subscribe")},
                                allow_redirects=False, headers={"Origin": "https://evil.example"})
    assert foreign.status == 403
    as_file = await form(client, "/packs/subscribe", {"url": server.url(ARCHIVE), "pubkey": "/etc/passwd"})
    assert as_file.status == 400 and "starts with ed25519:" in await as_file.text()
    bad_url = await form(client, "/packs/subscribe", {"url": "ftp://x/y.tar.gz", "pubkey": pub})
    assert bad_url.status == 400 and "not an http(s) URL" in await bad_url.text()
    assert load_all() == {} and server.hits[ARCHIVE] == 0


async def test_a_locked_profile_needs_the_parent_pin_to_subscribe(packs_env, server, client, token, runtime, rules_dir):
    (rules_dir / "profiles" / "kid.yaml").write_text("title: Kid\nversion: 1\nlocked: true\nrules: []\n")
    runtime.set_profile("kid")
    await ParentPin(runtime.store).set_pin("2468")
    kid = (rules_dir / "profiles" / "kid.yaml").read_text()
    await enter(client, token)
    key, pub = new_key()
    server.files[ARCHIVE] = make_pack(packs_env, key, "1", profiles={"kid.yaml": "title: Open\nversion: 9\nrules: []\n"})
    fields = {"url": server.url(ARCHIVE), "pubkey": pub}
    refused = await form(client, "/packs/subscribe", fields)
    assert "notice=no_pin" in refused.headers["Location"] and load_all() == {}
    shown = await (await client.get(refused.headers["Location"])).text()
    assert "The active profile is locked; enter the parent PIN." in shown
    assert shown.count('name="pin"') == 1  # in the subscribe form (no subscription yet)
    wrong = await form(client, "/packs/subscribe", {**fields, "pin": "0000"})
    assert "notice=wrong_pin" in wrong.headers["Location"] and load_all() == {}
    done = await form(client, "/packs/subscribe", {**fields, "pin": "2468"})
    assert "notice=subscribed" in done.headers["Location"]
    assert versions.active_version(NAME, runtime.config.data_dir) == "1"
    assert runtime.engine.profile.title == "Kid" and runtime.profile.locked  # the pack's kid.yaml is not used
    assert (rules_dir / "profiles" / "kid.yaml").read_text() == kid
    checked = await form(client, "/packs/update", {"name": NAME})  # update now changes no settings
    assert "notice=checked" in checked.headers["Location"]


async def test_failing_fixtures_expiry_and_chinese(packs_env, client, token, user_packs):
    own = user_packs / "mine"
    scaffold.new_platform("gadget", own)
    adapter = own / "platforms" / "gadget.yaml"
    adapter.write_text(adapter.read_text().replace("author: author.name", "author: author.id"))
    given = {"name": "mine", "version": "3", "licence": "CC0-1.0", "expires": "7 days", "released": "2020-01-01"}
    build.write_header(own, build.header_fields(own, given, new_release=False))
    await enter(client, token)
    mine = section(await page(client), "mine")
    assert "your own" in mine and "<code>gadget</code> (1 failing cases)" in mine
    assert re.search(r"expired \d+ days ago: update it now", mine)
    zh = await page(client, "zh")
    assert '<html lang="zh-CN">' in zh and "<h1>规则包</h1>" in zh
    mine = section(zh, "mine")
    assert "你自己的" in mine and "1 个样例未通过" in mine and "已过期" in mine
    assert "订阅规则包" in zh and "立即检查所有订阅" in zh
    dashboard = await (await client.get("/?lang=zh")).text()
    assert '<a href="/packs">规则包</a>' in dashboard  # the navigation
    assert "rule pack mine 3 expired" in dashboard and "打开规则包页面（立即更新、回滚）</a>" in dashboard
