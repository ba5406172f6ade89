"""Format budgets through the add-on's hooks (mitmproxy's tflow/taddons, no network): the
child's spent format disappears from its feed, the other formats and the parent's feed stay."""

from __future__ import annotations

from datetime import datetime

import pytest
from mitmproxy.test import taddons

from feedlens.minors import gate
from feedlens.minors.clock import ManualClock
from feedlens.run import load_addon

from . import addon_support as chain
from .test_addon import free_port, ids
from .test_addon_minors import BERLIN, flow, through
from .test_runtime import rules  # noqa: F401  (fixture)

SATURDAY_NOON = datetime(2026, 1, 17, 12, 0, tzinfo=BERLIN).timestamp()
KID = """title: Kid
version: 1
mark: {title_prefix: "off"}
rules: []
limits:
  formats:
    short_video: {minutes: {school_days: 0, weekends: 10}}
"""


@pytest.fixture
async def proxy(rules, tmp_path):  # noqa: F811
    (rules / "profiles" / "kid.yaml").write_text(KID)
    addon = load_addon()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, feedlens_rules=str(rules), feedlens_data_dir=str(tmp_path / "data"),
                       feedlens_profile="no-ads", feedlens_service_port=free_port())
        await chain.running(addon)
        clock = ManualClock(BERLIN, SATURDAY_NOON)
        addon.runtime.minors.use_clock(clock)
        addon.clock = clock
        await addon.runtime.minors.set_device("user:kid", "kid")
        try:
            yield addon
        finally:
            await chain.done(addon)
    loop = tctx.master.event_loop
    if not loop.is_running():
        loop.close()


async def test_a_spent_format_budget_hides_that_format_only(proxy):
    minors = proxy.runtime.minors
    for advance in (5 * 60, 4 * 60 + 59, 1):  # the short video (v3) on screen: 9 min 59 s
        kid = await through(proxy, flow("kid"))
        assert ids(kid.response.content) == ["v1", "v2", "v3", "v4", "v5", None]
        proxy.clock.advance(advance)
    # 10 minutes with v3 on screen: the weekend's budget is spent at this response
    kid = await through(proxy, flow("kid"))
    assert ids(kid.response.content) == ["v1", "v2", "v4", "v5", None]
    assert minors.counters["format_hidden"] == 1 and minors.counters["blocked_feeds"] == 0
    mum = await through(proxy, flow("mum"))
    assert ids(mum.response.content) == ["v1", "v3", "v4", "v5", None]  # no-ads, no format budget
    usage = await minors.usage("user:kid", proxy.clock.now())
    [short] = usage["formats"]
    assert short["format"] == "short_video" and short["hidden"] and short["reason"] == "budget"
    assert short["used_minutes"] == 10 and short["budget_minutes"] == 10
    await proxy.runtime.store.flush()
    rows = await proxy.runtime.store.run_read(lambda conn: conn.execute(
        "SELECT i.decision_rule FROM items i JOIN responses r ON i.response_id = r.id"
        " WHERE r.device = 'user:kid' AND i.item_id = 'v3' ORDER BY i.id").fetchall())
    assert [r[0] for r in rows] == [None, None, None, gate.FORMAT_RULE]  # the item log says why
