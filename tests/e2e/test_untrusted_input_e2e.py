"""Hostile input to a real `feedlens run` (issue 15, acceptance): a billion-laughs profile and a
100k-deep JSON body are each answered 400, while `/api/health` and a proxied feed request sent
at the same time are answered too (the service and the proxy share one event loop, so a
request that held the loop would stall the proxy)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.test_untrusted_input import billion_laughs

from .replay import served_cases

pytestmark = pytest.mark.e2e

RCMD = next(c for c in served_cases() if c[6].platform == "bilibili" and c[6].name == "web-home-recommend")
RCMD_URL = RCMD[6].data["url"]
DEEP = b'{"yaml":' + b"[" * 100_000 + b"]" * 100_000 + b"}"  # 200 KB, under the 1 MiB cap
ROUNDS = 3
TIMEOUT = 30  # only guards against a hang: before the fix the PUT never returned


def put(feedlens, path: str, body: bytes) -> tuple[int, dict, float]:
    """(status, JSON answer, seconds) of a PUT to the service, never through a proxy."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{feedlens.service_port}{path}", data=body, method="PUT",
        headers={"Authorization": f"Bearer {feedlens.token}", "Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    started = time.monotonic()
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            return response.status, json.load(response), time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc), time.monotonic() - started


def test_hostile_yaml_and_json_are_400s_while_health_and_the_proxy_answer(feedlens):
    laughs = json.dumps({"yaml": billion_laughs()}).encode()
    seen = feedlens.health()["counters"]["feed_responses"]
    with ThreadPoolExecutor(4 * ROUNDS) as pool:
        hostile = [pool.submit(put, feedlens, "/api/profiles/laughs", laughs) for _ in range(ROUNDS)]
        hostile += [pool.submit(put, feedlens, "/api/profiles/deep", DEEP) for _ in range(ROUNDS)]
        proxied = [pool.submit(feedlens.fetch, RCMD_URL) for _ in range(ROUNDS)]
        health = [pool.submit(feedlens.api, "/api/health") for _ in range(ROUNDS)]
        answers = [f.result(timeout=TIMEOUT) for f in hostile]
        fetched = [f.result(timeout=TIMEOUT) for f in proxied]
        healthy = [f.result(timeout=TIMEOUT) for f in health]

    laughs_answers, deep_answers = answers[:ROUNDS], answers[ROUNDS:]
    for status, body, _ in laughs_answers:
        assert status == 400 and body["code"] == "invalid_profile_file", body
        assert "anchors and aliases" in body["messages"][0]
    for status, body, _ in deep_answers:
        assert status == 400 and body["code"] == "body_too_deep", body
    for status, _, content in fetched:
        assert status == 200 and json.loads(content)["code"] == 0  # a whole, parsed feed
    for status, body in healthy:
        assert status == 200 and body["ok"] is True
    # the proxy read every one of those feeds (it did not just pass bytes while stalled)
    assert feedlens.health()["counters"]["feed_responses"] >= seen + ROUNDS
    status, profiles = feedlens.api("/api/profiles")
    assert status == 200 and not {"laughs", "deep"} & {p["name"] for p in profiles["profiles"]}
    print("seconds per hostile request:", [round(s, 3) for _, _, s in answers])
