"""Bounded bodies through the real proxy (issue 15): a 1 GiB brotli bomb, a chunked 200 MiB
feed and a 200 MiB POST to a feed endpoint pass unchanged while the proxy's memory (and its
workers') stays flat; a text/html body on a JSON feed URL passes unchanged."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from pathlib import Path

import pytest

from .replay import CHUNK, brotli_bomb, chunked_feed, served_cases

pytestmark = pytest.mark.e2e

CASES = served_cases()
RCMD = next(c for c in CASES if c[6].platform == "bilibili" and c[6].name == "web-home-recommend")
RCMD_URL = RCMD[6].data["url"]
POST_URL = "https://edith.xiaohongshu.com/api/sns/web/v1/homefeed"  # a POST feed endpoint
BOMB = 1 << 30
CHUNKED_MIB = 200
BIG = CHUNKED_MIB << 20
FLAT = 100 * 1000 * 1000  # "peak RSS growth < 100 MB"


def family(pid: int) -> list[int]:
    """The proxy and its descendants (the engine's worker processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid] + [p for child in children for p in family(int(child))]


def peaks(pid: int) -> dict[int, int]:
    """Peak resident memory (VmHWM, bytes) of the proxy and each of its workers."""
    out = {}
    for member in family(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out[member] = int(line.split()[1]) * 1024
        except FileNotFoundError:  # a worker that just ended
            pass
    return out


def growth(before: dict[int, int], after: dict[int, int]) -> dict[int, int]:
    """How much each process's peak grew (a process that is new: its whole peak)."""
    return {pid: peak - before.get(pid, 0) for pid, peak in after.items()}


def over_cap(feedlens) -> int:
    return feedlens.health()["counters"]["over_cap"]


def warm(feedlens) -> None:
    """Start the workers and their engines (a 4 MiB feed goes to one) before measuring."""
    status, _, _ = feedlens.fetch(RCMD_URL, {"x-replay-body": "large"})
    assert status == 200


def test_a_one_gib_brotli_bomb_passes_unchanged_with_flat_memory(feedlens):
    warm(feedlens)
    bomb = brotli_bomb(BOMB)  # the same bytes the replay server sends
    before, counted = peaks(feedlens.proc.pid), over_cap(feedlens)
    status, headers, received = feedlens.fetch(RCMD_URL, {"x-replay-body": "bomb",
                                                          "x-replay-size": str(BOMB)})
    grew = growth(before, peaks(feedlens.proc.pid))
    assert status == 200 and headers["content-encoding"] == "br"
    assert hashlib.sha256(received).digest() == hashlib.sha256(bomb).digest()
    assert len(received) < 4096  # what was sent: 1 GiB as a few KB of brotli
    assert max(grew.values()) < FLAT, f"peak memory grew {grew} bytes"
    assert over_cap(feedlens) == counted + 1


def test_a_chunked_200_mib_feed_streams_past_the_cap_with_flat_memory(feedlens):
    warm(feedlens)
    expected = hashlib.sha256()
    for piece in chunked_feed(BIG):
        expected.update(piece)
    before, counted = peaks(feedlens.proc.pid), over_cap(feedlens)
    request = urllib.request.Request(RCMD_URL, headers={"x-replay-body": "chunked",
                                                        "x-replay-size": str(BIG)})
    digest, received = hashlib.sha256(), 0
    with feedlens.opener().open(request, timeout=300) as response:
        assert response.headers.get("content-length") is None  # it came chunked
        while piece := response.read(CHUNK):
            digest.update(piece)
            received += len(piece)
    grew = growth(before, peaks(feedlens.proc.pid))
    assert digest.digest() == expected.digest() and received > BIG
    assert max(grew.values()) < FLAT, f"peak memory grew {grew} bytes"
    assert over_cap(feedlens) == counted + 1


@pytest.mark.parametrize("length", [False, True], ids=["chunked", "content-length"])
def test_a_200_mib_post_to_a_feed_endpoint_streams_with_flat_memory(feedlens, length):
    block = bytes(range(256)) * (CHUNK // 256)
    expected = hashlib.sha256(block * CHUNKED_MIB).hexdigest()
    headers = {"x-replay-body": "sink", "content-type": "application/json"}
    if length:
        headers["content-length"] = str(BIG)
    before = peaks(feedlens.proc.pid)
    request = urllib.request.Request(POST_URL, data=(block for _ in range(CHUNKED_MIB)),
                                     headers=headers, method="POST")
    with feedlens.opener().open(request, timeout=300) as response:
        answer = json.loads(response.read())
    grew = growth(before, peaks(feedlens.proc.pid))
    assert answer == {"received": BIG, "sha256": expected}  # the upstream got it all, unchanged
    assert max(grew.values()) < FLAT, f"peak memory grew {grew} bytes"


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "application/octet-stream"])
def test_a_body_that_is_not_json_on_a_json_feed_url_passes_unchanged(feedlens, content_type):
    status, headers, received = feedlens.fetch(RCMD_URL, {"x-replay-type": content_type})
    assert status == 200 and headers["content-type"] == content_type
    assert received == RCMD[4]  # the fixture as served: no title marked, no ad hidden
