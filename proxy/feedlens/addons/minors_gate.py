"""Parents and minors on the proxy: each device's profile, its gate, and what it has used.

Each flow belongs to a device (proxy-auth user name, else client address) and runs with that
device's profile. A device whose profile has `limits:` may be in curfew or out of time: its feed
API responses then lose every item, and its HTML feed pages are answered with a block page
whose "ask for more time" form posts to /__feedlens/ask-time, answered here, never forwarded.
Every failure here fails open: the flow goes on as if no limits applied, and is counted.
"""

from __future__ import annotations

import asyncio

from mitmproxy import http

from ..language import pick_language
from ..minors import blockpage, gate
from ..minors.devices import names_of
from ..minors.state import MinorsError
from . import flowstate
from .state import Shared


def device(flow: http.HTTPFlow, minors) -> str:
    """The flow's device: user name or address, as Minors.device_for weighs them."""
    return minors.device_for(*names_of(flow.metadata, flow.client_conn.peername))


class MinorsPages:
    """The request side: block and rest pages for HTML feed pages, and the ask-time form."""

    name = "feedlens_minors_pages"  # unique among mitmproxy's add-ons


    def __init__(self, shared: Shared):
        self.shared = shared

    def request(self, flow: http.HTTPFlow):
        runtime = self.shared.runtime
        if runtime is None or flow.response is not None:
            return None
        if flow.request.path.partition("?")[0] == blockpage.ASK_PATH:
            return asyncio.ensure_future(self._ask_time(flow))  # awaited by mitmproxy
        try:
            self._gate_page(flow)  # synchronous: no coroutine per request on the common path
        except Exception as exc:  # fail open: the request goes upstream as if no limits applied
            runtime.minors.failed(exc)
        return None

    def _gate_page(self, flow: http.HTTPFlow) -> None:
        minors, state = self.shared.runtime.minors, flowstate.of(flow)
        if state is None or not minors.limited() or not any(e.body == "html" for e in state.endpoints):
            return
        who, now = device(flow, minors), minors.clock.now()
        lang = pick_language(flow.request.headers.get("accept-language"))
        broken = minors.profile_for(who)
        if broken in self.shared.runtime.fallbacks:  # fail closed, and say why
            minors.counters["block_pages"] += 1
            flowstate.release(flow)
            flowstate.answer(flow, blockpage.response(blockpage.broken_body(lang, broken)))
            return
        decision = gate.decide(minors.status(who, now), html=True)
        if decision.action == gate.PASS:
            return
        limits = minors.limits_for(who)
        if decision.action == gate.REST_PAGE:
            body = blockpage.rest_body(lang, limits.rest_reminder_minutes or 0, flow.request.path)
            minors.rest_shown(who, now)
        else:
            until = minors.clock.local(decision.until).strftime("%H:%M") if decision.until else None
            body = blockpage.blocked_body(lang, reason=decision.reason, until_text=until,
                                          curfew=limits.curfew, budget=limits.daily_minutes)
            minors.counters["block_pages"] += 1
        flowstate.release(flow)
        flowstate.answer(flow, blockpage.response(body))

    async def _ask_time(self, flow: http.HTTPFlow) -> None:
        """Never forwarded: whatever happens, the answer comes from here."""
        lang, minors = "en", self.shared.runtime.minors
        try:
            lang = pick_language(flow.request.headers.get("accept-language"))
            if flow.request.method != "POST":
                flowstate.answer(flow, blockpage.response(blockpage.message_body(lang, "post_only"), 405))
                return
            form = flow.request.urlencoded_form
            asked = await minors.add_time_request(device(flow, minors), form.get("minutes", "30"),
                                                  form.get("note", ""))
            flowstate.answer(flow, blockpage.response(blockpage.asked_body(lang, asked["minutes"])))
        except MinorsError:
            flowstate.answer(flow, blockpage.response(blockpage.message_body(lang, "bad_request"), 400))
        except Exception as exc:  # the store is down, a bug of ours: say so, count it
            minors.failed(exc)
            flowstate.answer(flow, blockpage.response(blockpage.message_body(lang, "failed"), 503))


class DeviceProfile:
    """Before the engine runs: the device's profile engine, and its gate for this response."""

    name = "feedlens_device_profile"  # unique among mitmproxy's add-ons


    def __init__(self, shared: Shared):
        self.shared = shared

    def response(self, flow: http.HTTPFlow) -> None:
        state, runtime = flowstate.of(flow), self.shared.runtime
        if state is None or runtime is None:
            return
        try:
            self._choose(flow, state, runtime)
        except Exception as exc:  # fail open: the active profile, no gate
            runtime.minors.failed(exc)

    def _choose(self, flow, state, runtime) -> None:
        """Fills the state only once everything is known: a failure leaves the active profile."""
        minors = runtime.minors
        state.device = who = device(flow, minors)
        name = minors.profile_for(who)
        # a profile a parent assigned (or the household's locked default) runs as written: My
        # rules never weaken it
        chosen = runtime.profile_engine(name, assigned=minors.device_profile(who) is not None
                                        or name != runtime.profile_name)
        spec, gated, decision = chosen.spec, None, gate.OPEN
        if chosen.limits.any:
            now = minors.clock.now()
            decision = gate.decide(minors.status(who, now), html=False,
                                   quota=minors.session_quota(who, now),
                                   formats=minors.hidden_formats(who, now))
            if gate.applies(decision):
                spec = chosen.spec.with_gate(gate.GATE_NAME, hide_all=decision.hide_all,
                                             quota=decision.quota, formats=decision.formats)
                gated = spec.gated(chosen.engine.profile)
        state.profile_name, state.engine, state.spec = name, chosen.engine, spec
        state.gated, state.gate = gated, decision


class DeviceUsage:
    """After the engine ran: what the device was shown counts against its budget and quotas."""

    name = "feedlens_device_usage"  # unique among mitmproxy's add-ons


    def __init__(self, shared: Shared):
        self.shared = shared

    def response(self, flow: http.HTTPFlow) -> None:
        state, runtime = flowstate.of(flow), self.shared.runtime
        if state is None or state.outcome is None or not state.outcome.is_feed or state.device is None:
            return
        minors, decision = runtime.minors, state.gate or gate.OPEN
        try:
            if decision.hide_all:
                minors.counters["blocked_feeds"] += 1
            minors.counters["session_hidden"] += sum(
                1 for i in state.outcome.items if i.decision_rule == gate.SESSION_RULE)
            minors.counters["format_hidden"] += sum(
                1 for i in state.outcome.items if i.decision_rule == gate.FORMAT_RULE)
            minors.record_feed(state.device, state.profile_name or runtime.profile_name,
                               minors.clock.now(), gate.shown_counts(state.outcome.items),
                               counted=not decision.hide_all,
                               formats=gate.shown_formats(state.outcome.items))
        except Exception as exc:
            minors.failed(exc)
