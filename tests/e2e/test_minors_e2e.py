"""Parents and minors end to end: `feedlens run --device-auth`, two devices told apart by their
proxy user names, the child's on a profile with limits, the parent's on the active profile.

The child's device gets filtered feeds; once its profile's curfew covers the current local time
(the test rewrites the profile; the proxy reloads it), its feed API answers an empty feed and the
HTML home page a block page whose "ask for more time" form is answered by the proxy itself and
queues a request for the parent. The parent's device gets the original bodies throughout.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import ssl
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta

import pytest

from feedlens import paths
from feedlens.minors.state import Minors
from feedlens.store import Store

from .conftest import start_feedlens, wait_until
from .test_proxy_e2e import AD, RCMD, RCMD_URL, items
from .replay import served_cases

pytestmark = pytest.mark.e2e

HOME = next(c for c in served_cases() if c[6].platform == "bilibili" and c[6].name == "web-home-page")
HOME_URL = HOME[6].data["url"]
KID = """title: Kid
version: 1
mark: {title_prefix: "off"}
rules:
  - id: no-ads
    when: {provenance: promoted}
    action: hide
  - id: no-personalized
    when: {provenance: personalized}
    action: hide
"""


def curfew_now() -> str:
    """A `limits:` section whose curfew covers the local time now (the proxy's zone is ours)."""
    now = datetime.now().astimezone()
    start, end = (now - timedelta(hours=2)).strftime("%H:%M"), (now + timedelta(hours=2)).strftime("%H:%M")
    return f'limits:\n  daily_minutes: 60\n  curfew: {{from: "{start}", to: "{end}"}}\n'


class Device:
    """An HTTPS client that uses the proxy with its own proxy user name."""

    def __init__(self, feedlens, user: str):
        context = ssl.create_default_context(cafile=str(feedlens.ca))
        proxy = f"http://{user}:secret@127.0.0.1:{feedlens.proxy_port}"
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({"http": proxy, "https": proxy}),
            urllib.request.HTTPSHandler(context=context))

    def fetch(self, url: str, data: bytes | None = None, **headers):
        request = urllib.request.Request(url, data=data, headers=headers)
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read()


def seed_devices(db, assignments: dict[str, str]) -> None:
    """Assign devices to profiles before the proxy starts (what the parent's dashboard does)."""
    async def seed():
        store = Store(db, prune_interval=0)
        await store.start()
        try:
            minors = Minors(store)
            for device, profile in assignments.items():
                await minors.set_device(device, profile)
        finally:
            await store.close()
    asyncio.run(seed())


def pending_requests(db) -> list:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT device, minutes, note, status FROM minors_time_requests").fetchall()


@pytest.fixture
def proxy(replay, certs, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(paths.rules_dir(), rules, ignore=shutil.ignore_patterns("*.fixtures"))
    (rules / "profiles" / "kid.yaml").write_text(KID)
    seed_devices(tmp_path / "data" / "feedlens.sqlite3", {"user:kid": "kid"})
    instance = start_feedlens(tmp_path, replay, certs / "ca.pem", "--rules", str(rules),
                              "--profile", "default", "--device-auth",
                              hosts=["api.bilibili.com", "www.bilibili.com"])
    instance.extra["kid_profile"] = rules / "profiles" / "kid.yaml"
    try:
        yield instance
    finally:
        instance.proc.stop()


def test_two_devices_on_different_profiles_and_the_childs_curfew(proxy):
    kid, parent = Device(proxy, "kid"), Device(proxy, "parent")

    # Daytime: the child's feed is filtered by its profile, the parent's is untouched.
    status, _, body = kid.fetch(RCMD_URL)
    received = items(body)
    assert status == 200 and received
    assert AD not in {i.id for i in received}
    assert {str(i.provenance) for i in received}.isdisjoint({"promoted", "personalized"})
    assert parent.fetch(RCMD_URL)[2] == RCMD[4]

    # Curfew now: the proxy picks the edited profile up without a restart.
    proxy.extra["kid_profile"].write_text(KID + curfew_now())

    def emptied():
        status, _, body = kid.fetch(RCMD_URL)
        return status == 200 and body != RCMD[4] and not items(body) and body
    body = wait_until(emptied, 30, "the child's feed to be emptied by the curfew")
    doc = json.loads(body)
    assert doc["code"] == 0 and doc["data"]["item"] == []  # a valid, empty feed for the app

    status, headers, page = kid.fetch(HOME_URL, **{"Accept-Language": "zh-CN,zh;q=0.9"})
    html = page.decode()
    assert status == 200 and headers["x-feedlens"] == "minors"
    assert "夜间" in html and 'action="/__feedlens/ask-time"' in html
    assert "__INITIAL_STATE__" not in html  # the feed page itself never reached the child

    form = urllib.parse.urlencode({"minutes": "30", "note": "finish the documentary"}).encode()
    status, headers, answer = kid.fetch(
        "https://www.bilibili.com/__feedlens/ask-time", form,
        **{"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "en"})
    assert status == 200 and headers["x-feedlens"] == "minors"  # answered by the proxy
    assert "parent will see it" in answer.decode()
    assert pending_requests(proxy.db) == [("user:kid", 30, "finish the documentary", "pending")]

    # The parent's device is untouched throughout.
    assert parent.fetch(RCMD_URL)[2] == RCMD[4]
    status, headers, page = parent.fetch(HOME_URL)
    assert status == 200 and page == HOME[4] and "x-feedlens" not in headers

    health = proxy.health()
    assert health["minors"]["counters"]["block_pages"] == 1
    assert health["minors"]["counters"]["blocked_feeds"] >= 1
    assert health["minors"]["counters"]["errors"] == 0
