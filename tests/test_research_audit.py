"""The switch audit on a real Store: sessions, windows, and a report checked by hand."""

from __future__ import annotations

import math

import pytest

from feedlens.model import Item, Provenance
from feedlens.research import audit
from feedlens.store import ResponseRecord, Store

pytestmark = pytest.mark.filterwarnings("error")

T0 = 1_800_000_000.0      # the session starts; condition "on" begins at once
T_OFF = T0 + 1000         # personalisation switched off
T_END = T0 + 2000         # finished
Z = 1.959963984540054     # two-sided 95 %

# Personalised items in each of ten responses of ten items (sums: 60 of 100, 15 of 100).
ON_COUNTS = [9, 8, 7, 6, 6, 6, 5, 5, 4, 4]
OFF_COUNTS = [3, 2, 2, 2, 1, 1, 1, 1, 1, 1]


@pytest.fixture
async def store(tmp_path):
    s = Store(tmp_path / "feedlens.sqlite3", flush_interval=0.01, prune_interval=0)
    await s.start()
    yield s
    await s.close()


def response(personalized: int, at: float, tag: str, platform: str = "demo", size: int = 10):
    """One feed response: `personalized` recommended items, the rest followed and one ad."""
    items = []
    for position in range(size):
        if position < personalized:
            provenance = "personalized"
        elif position == size - 1:
            provenance = "promoted"
        else:
            provenance = "followed"
        items.append(Item(platform=platform, endpoint="home", surface="home", position=position,
                          id=f"{tag}-{position}", kind="video", provenance=Provenance(provenance),
                          author_id="u1", confidence=0.9))
    return ResponseRecord(time=at, platform=platform, endpoint="home", surface="home",
                          url="https://api.demo.test/feed/home", status=200, changed=False,
                          error=None, items=items)


async def record_two_condition_session(store) -> audit.Session:
    session = await audit.start(store, "demo", "laptop, evening", T0, condition="on")
    for i, k in enumerate(ON_COUNTS):
        store.submit(response(k, T0 + 50 + 90 * i, f"on{i}"))
    await audit.switch(store, session.id, "off", T_OFF)
    for i, k in enumerate(OFF_COUNTS):
        store.submit(response(k, T_OFF + 50 + 90 * i, f"off{i}"))
    # None of these may count: before the start, after the finish, another platform.
    store.submit(response(10, T0 - 5, "before"))
    store.submit(response(10, T_END, "after"))  # windows are [start, end): the end is outside
    store.submit(response(10, T0 + 10, "other", platform="elsewhere"))
    await store.flush()
    return await audit.finish(store, session.id, T_END)


async def test_report_matches_a_hand_computation(store):
    session = await record_two_condition_session(store)
    report = await audit.report(store, session.id, now=T_END + 5000)
    on, off = report["conditions"]["on"], report["conditions"]["off"]

    assert (on["items"], on["responses"], on["personalized"]) == (100, 10, 60)
    assert (off["items"], off["responses"], off["personalized"]) == (100, 10, 15)
    assert on["share"] == 0.6 and off["share"] == 0.15
    assert on["by_provenance"] == {"followed": 30, "personalized": 60, "promoted": 10}
    assert off["by_provenance"] == {"followed": 75, "personalized": 15, "promoted": 10}
    assert on["windows"] == [[T0, T_OFF]] and off["windows"] == [[T_OFF, T_END]]

    # Wilson score interval: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)
    def by_hand_wilson(p, n):
        centre = (p + Z ** 2 / (2 * n)) / (1 + Z ** 2 / n)
        half = Z * math.sqrt(p * (1 - p) / n + Z ** 2 / (4 * n ** 2)) / (1 + Z ** 2 / n)
        return centre - half, centre + half
    on_low, on_high = by_hand_wilson(0.60, 100)
    off_low, off_high = by_hand_wilson(0.15, 100)
    assert on["ci95"] == pytest.approx([on_low, on_high], abs=1e-12)
    assert off["ci95"] == pytest.approx([off_low, off_high], abs=1e-12)
    # …which is, rounded: on 50.20 %–69.06 %, off 9.31 %–23.28 %
    assert on["ci95"] == pytest.approx([0.5020, 0.6906], abs=1e-4)
    assert off["ci95"] == pytest.approx([0.0931, 0.2328], abs=1e-4)

    # Two-proportion z-test, pooled: p = 75/200 = 0.375, se = sqrt(p(1-p)(1/100 + 1/100))
    pooled = (60 + 15) / (100 + 100)
    se = math.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 100))
    z = (0.60 - 0.15) / se
    assert report["test"]["difference"] == pytest.approx(0.45)
    assert report["test"]["z"] == pytest.approx(z, rel=1e-12)
    assert report["test"]["z"] == pytest.approx(6.5727, abs=1e-4)
    assert report["test"]["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)
    assert report["test"]["p_value"] < 1e-9
    # Newcombe: d - sqrt((p1-l1)² + (u2-p2)²) … d + sqrt((u1-p1)² + (p2-l2)²)
    assert report["test"]["difference_ci95"] == pytest.approx([
        0.45 - math.sqrt((0.60 - on_low) ** 2 + (off_high - 0.15) ** 2),
        0.45 + math.sqrt((on_high - 0.60) ** 2 + (0.15 - off_low) ** 2)], abs=1e-12)

    # Cluster-robust, one cluster per response: se = sqrt(m/(m-1) · Σ(k_r - p·n_r)²) / Σn_r
    # on: residuals 3,2,1,0,0,0,-1,-1,-2,-2 → Σ² = 24; off: 1.5, .5×3, -.5×6 → Σ² = 4.5
    se_on = math.sqrt(10 / 9 * 24) / 100
    se_off = math.sqrt(10 / 9 * 4.5) / 100
    assert on["cluster_se"] == pytest.approx(se_on, rel=1e-12)
    assert off["cluster_se"] == pytest.approx(se_off, rel=1e-12)
    cluster_z = 0.45 / math.sqrt(se_on ** 2 + se_off ** 2)
    assert report["cluster_test"]["z"] == pytest.approx(cluster_z, rel=1e-12)
    assert report["cluster_test"]["z"] == pytest.approx(7.9967, abs=1e-4)
    # Response-level mean share (equal response sizes: the same as the pooled share).
    assert on["response_mean_share"] == pytest.approx(0.6)
    assert on["response_mean_se"] == pytest.approx(math.sqrt(0.24 / 9 / 10))
    assert on["mean_confidence"] == pytest.approx(0.9)

    codes = [c["code"] for c in report["caveats"]]
    assert {"provenance_labels", "time_of_day", "clustering", "adapter_confidence"} <= set(codes)
    assert not {"unfinished", "few_items", "few_responses", "low_confidence"} & set(codes)


async def test_alternating_windows_pool_into_their_condition(store):
    session = await audit.start(store, "demo", None, T0, condition="on")
    await audit.switch(store, session.id, "off", T0 + 100)
    await audit.switch(store, session.id, "on", T0 + 200)
    await audit.switch(store, session.id, "off", T0 + 300)
    for at, k in ((T0 + 10, 4), (T0 + 110, 1), (T0 + 210, 6), (T0 + 310, 0)):
        store.submit(response(k, at, f"r{at}"))
    await store.flush()
    report = await audit.report(store, session.id, now=T0 + 400)  # unfinished: runs until now
    on, off = report["conditions"]["on"], report["conditions"]["off"]
    assert (on["personalized"], on["items"], on["responses"]) == (10, 20, 2)
    assert (off["personalized"], off["items"], off["responses"]) == (1, 20, 2)
    assert on["windows"] == [[T0, T0 + 100], [T0 + 200, T0 + 300]]
    assert off["windows"] == [[T0 + 100, T0 + 200], [T0 + 300, T0 + 400]]
    codes = {c["code"] for c in report["caveats"]}
    assert {"unfinished", "few_items", "few_responses"} <= codes
    assert {"code": "time_of_day", "windows": 4} in report["caveats"]


async def test_an_empty_condition_gives_no_statistics_and_says_so(store):
    session = await audit.start(store, "demo", None, T0, condition="on")
    store.submit(response(3, T0 + 1, "only"))
    await store.flush()
    report = await audit.report(store, session.id, now=T0 + 10)
    assert report["conditions"]["off"]["items"] == 0
    assert report["conditions"]["off"]["ci95"] is None
    assert report["test"]["z"] is None and report["test"]["difference"] is None
    assert report["cluster_test"]["z"] is None
    assert report["cluster_test"]["not_computed"] == "too_few_responses"
    assert {"code": "empty_condition", "condition": "off"} in report["caveats"]


async def test_session_state_is_checked(store):
    session = await audit.start(store, "demo", "n", T0)
    assert session.condition is None and session.windows(T0 + 10) == []
    with pytest.raises(audit.AuditStateError):
        await audit.switch(store, session.id, "maybe", T0 + 1)
    await audit.switch(store, session.id, "on", T0 + 1)
    with pytest.raises(audit.AuditStateError):
        await audit.switch(store, session.id, "on", T0 + 2)  # already on
    with pytest.raises(audit.AuditStateError):
        await audit.switch(store, session.id, "off", T0 - 5)  # before the previous mark
    await audit.finish(store, session.id, T0 + 3)
    with pytest.raises(audit.AuditStateError):
        await audit.switch(store, session.id, "off", T0 + 4)
    with pytest.raises(audit.AuditStateError):
        await audit.finish(store, session.id, T0 + 5)
    with pytest.raises(audit.AuditNotFound):
        await audit.report(store, session.id + 1, T0)
    listed = await audit.list_sessions(store)
    assert [s.to_dict() for s in listed] == [{
        "id": session.id, "platform": "demo", "note": "n", "started": T0, "finished": T0 + 3,
        "condition": None, "condition_from": "manual",
        "switches": [{"time": T0 + 1, "condition": "on", "source": "manual", "rule": None, "kind": None}]}]


async def test_responses_without_spread_give_no_cluster_z(store):
    session = await audit.start(store, "demo", None, T0, condition="on")
    await audit.switch(store, session.id, "off", T0 + 100)
    for i in range(3):  # every "on" response 5 of 10, every "off" response 1 of 10
        store.submit(response(5, T0 + 10 + i, f"on{i}"))
        store.submit(response(1, T0 + 110 + i, f"off{i}"))
    await store.flush()
    report = await audit.report(store, session.id, now=T0 + 200)
    assert report["cluster_test"]["se"] == 0 and report["cluster_test"]["z"] is None
    assert report["cluster_test"]["not_computed"] == "no_spread"
    assert report["test"]["z"] == pytest.approx(audit.two_proportion_z(15, 30, 3, 30)[0])


def test_statistics_edge_cases():
    assert audit.wilson(0, 0) is None
    low, high = audit.wilson(0, 10)  # no successes: the interval still has width
    assert low == 0.0 and high == pytest.approx(Z ** 2 / (10 + Z ** 2))
    assert audit.two_proportion_z(0, 10, 0, 20) is None  # both zero: nothing to test
    assert audit.cluster_se([(3, 10)]) is None  # one response: no spread to measure
    assert audit.response_mean([(1, 2)]) == (0.5, None)
