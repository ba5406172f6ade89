"""The opt-in counterfactual check in the running proxy (feedlens.choices.counterfactual).

After Classify read a feed response of an endpoint its adapter lists under
`choice.counterfactual`, and only while `--counterfactual` is on, a paired fetch of the same
surface without the user's login is scheduled; it fetches only when the user declared
"personalised recommendations off" for that platform and device (feedlens.choices.declare): no
declaration, nothing to compare with, no request.

Never in the response's path: the check is a task the response does not wait for; its failures
are counted as errors (`counterfactual`) and never raised. What became of each eligible response
is tallied in health (`counters.tallies`, "counterfactual.*"), decided before the response goes
on: scheduled, rate_limited (or one still under way), then the check's own result.
"""

from __future__ import annotations

import asyncio
import time

from mitmproxy import ctx, http

from ..choices.counterfactual import Counterfactual, Settings, anonymous_headers
from ..choices.declare import declared
from ..choices.track import OFF
from ..extract import item_ids
from . import flowstate
from .classify import client_of, processable
from .state import Shared

TALLY = "counterfactual"


class PairedFetch:
    name = "feedlens_counterfactual"  # unique among mitmproxy's add-ons

    def __init__(self, shared: Shared):
        self.shared = shared
        self._checker: tuple[object, Counterfactual] | None = None  # (its store, the checker)
        self.tasks: dict[str, asyncio.Task] = {}  # per platform: the check under way

    def response(self, flow: http.HTTPFlow) -> None:
        """Synchronous on purpose: nothing here waits for the network."""
        config, runtime = self.shared.config, self.shared.runtime
        if runtime is None or config is None or not config.counterfactual:
            return
        state = flowstate.of(flow)
        if state is None or state.outcome is None or not processable(flow):
            return
        try:
            self._consider(flow, state)
        except Exception as exc:  # never into mitmproxy: the response goes on as it is
            runtime.counters.error(TALLY, f"{type(exc).__name__}: {exc}")

    def _consider(self, flow: http.HTTPFlow, state) -> None:
        outcome = state.outcome
        endpoint = next((e for e in state.endpoints if e.name == outcome.endpoint), None)
        if endpoint is None or outcome.error or flow.request.method.upper() != "GET":
            return
        adapter = state.engine.adapters.by_platform(endpoint.platform)
        spec = getattr(adapter, "counterfactual", None)
        own = [item.id for item in outcome.items if item.id]
        if spec is None or endpoint.name not in spec.endpoints or not own:
            return
        checker = self.checker()
        if endpoint.platform in self.tasks or not checker.due(endpoint.platform):
            self._tally("rate_limited")
            return
        check = dict(platform=endpoint.platform, choice=spec.choice, device=client_of(flow) or "?",
                     method="GET", url=flow.request.pretty_url, own_ids=own, query=spec.query,
                     headers=anonymous_headers(dict(flow.request.headers.items())),
                     ids_of=lambda doc: item_ids(endpoint, doc))
        task = asyncio.get_running_loop().create_task(self._run(checker, check))
        self.tasks[endpoint.platform] = task
        task.add_done_callback(lambda done: self._finished(endpoint.platform, done))
        self._tally("scheduled")

    async def _run(self, checker: Counterfactual, check: dict) -> None:
        store = self.shared.runtime.store
        said = await store.run_read(lambda db: declared(db, check["platform"], check["device"],
                                                        check["choice"]))
        if said is None or said.state != OFF:  # nothing to hold the platform to
            self._tally("undeclared" if said is None else "declared_on")
            return
        result = await checker.check(**check, honoured=True)
        self._tally(result.status)
        if result.status == "failed":
            self.shared.runtime.counters.error(TALLY, f"{check['platform']}: paired fetch failed: "
                                                      f"{result.evidence.get('error')}")

    def _finished(self, platform: str, task: asyncio.Task) -> None:
        self.tasks.pop(platform, None)
        if not task.cancelled() and task.exception() is not None and self.shared.runtime is not None:
            exc = task.exception()
            self.shared.runtime.counters.error(TALLY, f"{type(exc).__name__}: {exc}")

    def checker(self) -> Counterfactual:
        """One checker per store (its rate limit and baselines), its settings from the options."""
        store, config = self.shared.runtime.store, self.shared.config
        if self._checker is None or self._checker[0] is not store:
            watchers = Watchers(store, self.shared.choice_watchers())
            self._checker = (store, Counterfactual(watchdog=watchers, clock=time.time))
        ca = ctx.options.ssl_verify_upstream_trusted_ca if "ssl_verify_upstream_trusted_ca" in ctx.options else None
        self._checker[1].settings = Settings(enabled=config.counterfactual,
                                             min_interval_s=config.counterfactual_interval,
                                             resolve=dict(config.resolve), ca_file=ca or None)
        return self._checker[1]

    def _tally(self, what: str) -> None:
        if self.shared.runtime is not None:
            self.shared.runtime.counters.tally(f"{TALLY}.{what}")

    def done(self) -> None:
        for task in list(self.tasks.values()):
            task.cancel()


class Watchers:
    """The choice watchers as the one watchdog Counterfactual records its result with."""

    def __init__(self, store, watchers: list):
        self.store, self.watchers = store, watchers

    async def observe(self, observation, device: str, now: float) -> None:
        for watcher in self.watchers:
            await watcher.observe(observation, device, now)
