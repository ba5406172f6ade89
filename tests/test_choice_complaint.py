"""A complaint's bundle from a case (no proxy): parts and manifest, texts per jurisdiction,
and the case reader's scrub of any key that names a session secret."""

from __future__ import annotations

import hashlib
import json

import pytest

from feedlens.choices.case import scrub
from feedlens.reports import complaint

EVIDENCE = [{"time": 1_780_000_000.0, "method": "GET", "host": "oauth.reddit.com", "path": "/api/v1/me/prefs",
             "rule": "prefs", "from": "response", "read": "feed_recommendations_enabled", "value": "true"}]
CASE = {"revert": {"id": 7, "time": 1_780_000_100.0, "platform": "reddit", "choice": "personalised_feed",
                   "device": "127.0.0.1", "epoch": 0, "sure": "confirmed", "reason": "two_in_a_row",
                   "evidence": EVIDENCE * 2},
        "track": {"epoch": 0}, "history": [], "epochs": [{"epoch": 0, "first": 1_779_990_000.0,
                                                            "last": 1_780_000_100.0, "observations": 3}]}


@pytest.mark.parametrize("jurisdiction,texts", [("cn", {"complaint-cn.zh.txt", "complaint-cn.en.txt"}),
                                                ("eu", {"notice-eu.en.txt", "notice-eu.zh.txt"})])
def test_the_manifest_lists_every_part_with_its_hash(jurisdiction, texts):
    report, parts = complaint.build(CASE, jurisdiction, 1_780_000_200.0)
    names = [p.name for p in parts]
    assert names[-1] == "manifest.json" and set(names[3:-1]) == texts
    manifest = json.loads(parts[-1].data)
    assert [(e["name"], e["sha256"]) for e in manifest["parts"]] == \
        [(p.name, hashlib.sha256(p.data).hexdigest()) for p in parts[:-1]]
    assert report.kind == "choice_revert" and report.mode == "manual" and report.item_id == "7"
    assert report.page_url == "https://oauth.reddit.com/api/v1/me/prefs"


def test_an_unknown_jurisdiction_is_refused():
    with pytest.raises(ValueError):
        complaint.build(CASE, "us", 0.0)


def test_scrub_drops_keys_that_name_a_session_secret():
    dirty = {"read": "x", "value": "1", "cookie": "SESSDATA=s", "headers": {"Authorization": "Bearer t",
             "user-agent": "ua"}, "list": [{"csrf_token": "c", "ok": 1}]}
    assert scrub(dirty) == {"read": "x", "value": "1", "headers": {"user-agent": "ua"}, "list": [{"ok": 1}]}
