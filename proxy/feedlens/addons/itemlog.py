"""Log a processed feed response: counters, recent items, the store, and the flow's summary.

The last add-on of a flow: it also drops the flow's hand-over state (flowstate).
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from mitmproxy import http

from ..gaps import FORMAT_CHANGE
from ..model import UNCLAIMED, Outcome
from ..store import ResponseRecord
from . import flowstate
from .state import Shared

log = logging.getLogger("feedlens")


class ItemLog:
    name = "feedlens_item_log"  # unique among mitmproxy's add-ons

    def __init__(self, shared: Shared):
        self.shared = shared

    def response(self, flow: http.HTTPFlow) -> None:
        state = flowstate.of(flow)
        flowstate.release(flow)
        if state is None or state.outcome is None or not state.outcome.is_feed:
            return
        outcome, runtime = state.outcome, self.shared.runtime
        if outcome.unclaimed:
            self._gap(flow, state, outcome)
        now, url = time.time(), without_query(flow.request.pretty_url)
        if outcome.endpoint != UNCLAIMED:  # placeholders are logged, not counted as marked
            self._count(outcome)
            runtime.recent.add(now, url, outcome.items)
        runtime.store.submit(ResponseRecord(
            time=now, platform=outcome.platform, endpoint=outcome.endpoint,
            surface=outcome.surface or "", url=url, status=flow.response.status_code,
            changed=outcome.changed, error=outcome.error or outcome.reason, items=outcome.items,
            device=state.device))
        flow.metadata[flowstate.SUMMARY] = summary(outcome, time.perf_counter() - state.started)

    def _count(self, outcome: Outcome) -> None:
        counters = self.shared.runtime.counters
        counters.feed_responses += 1
        counters.items_marked += len(outcome.items)
        counters.items_hidden += hidden(outcome)
        counters.responses_changed += outcome.changed
        counters.last_feed[outcome.platform] = time.time()
        if outcome.error:
            counters.error(outcome.platform, outcome.error)
            self._log_once(outcome)

    def _gap(self, flow: http.HTTPFlow, state, outcome: Outcome) -> None:
        """A feed no endpoint read: unclaimed, or a claimed endpoint whose format changed."""
        adapter = state.engine.adapters.by_platform(outcome.platform)
        kind = UNCLAIMED if outcome.endpoint == UNCLAIMED else FORMAT_CHANGE
        self.shared.runtime.gaps.seen(
            kind, outcome.platform, flow.request.pretty_host, flow.request.path.partition("?")[0],
            outcome.unclaimed, adapter.version if adapter else "?",
            endpoint=None if kind == UNCLAIMED else outcome.endpoint)

    def _log_once(self, outcome: Outcome) -> None:
        if outcome.platform not in self.shared.logged:
            self.shared.logged.add(outcome.platform)
            log.warning("feedlens: %s/%s failed, response passed unchanged (logged once per "
                        "adapter; see /api/health): %s", outcome.platform, outcome.endpoint,
                        outcome.error)


def hidden(outcome: Outcome) -> int:
    return sum(1 for item in outcome.items if item.decision == "hide")


def summary(outcome: Outcome, elapsed: float) -> dict:
    """What stays on the flow (mitmweb shows it; tests read it)."""
    return {"platform": outcome.platform, "endpoint": outcome.endpoint, "surface": outcome.surface,
            "items": len(outcome.items), "hidden": hidden(outcome), "provenance": outcome.counts(),
            "changed": outcome.changed, "error": outcome.error, "reason": outcome.reason,
            "ms": round(elapsed * 1000, 2)}


def without_query(url: str) -> str:
    # Query strings carry access keys on some platforms; the item log does not need them.
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
