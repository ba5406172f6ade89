"""feedlens for mitmproxy: mark and filter feed responses, log their items, serve the companion API.

    mitmdump -s "$(feedlens addon-path)" --set feedlens_profile=no-ads
    mitmweb  -s "$(feedlens addon-path)"
    mitmdump -s addons/feedlens.py --set proxyauth=any   # from a checkout; per-device profiles

Feed endpoints (as routed by the adapters) are buffered, run through the engine and re-encoded;
everything else is streamed untouched. Nothing raises into mitmproxy: a failure passes the
original response on, is logged once per adapter and counted in /api/health.

Each flow belongs to a device (proxy-auth user name, else client address) and runs with that
device's profile. A device whose profile has `limits:` may be in curfew or out of time: its feed
API responses then lose every item, and its HTML feed pages are answered with a block page
whose "ask for more time" form posts to /__feedlens/ask-time, answered here, never forwarded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from mitmproxy import ctx, exceptions, http, tls
from mitmproxy.proxy import server_hooks

from . import paths
from .engine import DEFAULT_BODY_CAP, Engine, Request
from .language import pick_language
from .minors import blockpage, gate
from .minors.devices import device_of
from .minors.state import MinorsError
from .model import Outcome
from .offload import Offload, transform
from .profiles import ProfileError, load_profile
from .runtime import MARK_STYLES, Config, Runtime, parse_resolve
from .service import ServiceConfig, serve
from .service.security import is_loopback
from .store import ResponseRecord

log = logging.getLogger("feedlens")

# Bodies at least this large (as sent) are processed in a worker process so the event loop keeps
# serving other connections; smaller ones take less time than the hand-off.
OFFLOAD_MIN_BYTES = 64 * 1024
# Non-feed bodies of unknown length or at least this size are streamed, never buffered; smaller
# ones pass buffered, which mitmproxy does faster (measured ~10% more small responses per second).
STREAM_MIN_BYTES = 256 * 1024
OPTIONS = {"feedlens_rules", "feedlens_profile", "feedlens_data_dir", "feedlens_service_host",
           "feedlens_service_port", "feedlens_mark_style", "feedlens_body_cap", "feedlens_resolve"}
RESTART_OPTIONS = ("data_dir", "service_host", "service_port")


class FeedLens:
    def __init__(self) -> None:
        self.config: Config | None = None
        self.runtime: Runtime | None = None
        self.service = None  # aiohttp AppRunner while running
        self.offload = Offload()
        self._logged: set[str] = set()

    # -- lifecycle --------------------------------------------------------------------------

    def load(self, loader) -> None:
        loader.add_option("feedlens_rules", str, "",
                          "feedlens rules directory (platforms/ and profiles/); default: the bundled rules.")
        loader.add_option("feedlens_profile", str, "",
                          "Preference profile name or YAML file; default: the last one chosen, else 'default'.")
        loader.add_option("feedlens_data_dir", str, "",
                          "Where feedlens keeps its item log, token and state; default: $XDG_DATA_HOME/feedlens.")
        loader.add_option("feedlens_service_host", str, "127.0.0.1",
                          "Loopback address of the companion service.")
        loader.add_option("feedlens_service_port", int, 8787, "Port of the companion service.")
        loader.add_option("feedlens_mark_style", str, "profile",
                          "Title prefixes in rewritten bodies: as the profile says, or off, labelled, all.",
                          choices=MARK_STYLES)
        loader.add_option("feedlens_body_cap", int, DEFAULT_BODY_CAP,
                          "Feed bodies larger than this many bytes pass through unprocessed.")
        loader.add_option("feedlens_resolve", Sequence[str], [],
                          "Connect to IP:PORT for HOST without changing URL or Host, like curl --resolve. "
                          "Syntax: HOST=IP:PORT.")

    def configure(self, updated: set[str]) -> None:
        # Also called once per option while load() declares them: wait for the full set.
        if not updated & OPTIONS or not all(name in ctx.options for name in OPTIONS):
            return
        config = parse_options(ctx.options)
        if config == self.config:
            return
        if self.runtime is not None:
            self._apply_live(config)
        elif updated & {"feedlens_profile", "feedlens_rules"}:
            check_profile(config)
        self.config = config

    def _apply_live(self, config: Config) -> None:
        for name in RESTART_OPTIONS:
            if getattr(config, name) != getattr(self.config, name):
                raise exceptions.OptionsError(f"feedlens_{name} cannot change while running; restart")
        try:
            self.runtime.apply(config)
        except ValueError as exc:
            raise exceptions.OptionsError(str(exc)) from None

    def running(self):
        # Returned, not awaited: mitmproxy awaits it at startup, and script reloads (which
        # call this hook synchronously) still work.
        if self.runtime is None and self.config is not None:
            self.runtime = Runtime(self.config)
            return asyncio.ensure_future(self._start())
        return None

    def done(self):
        if self.runtime is not None:
            return asyncio.ensure_future(self._stop())
        return None

    async def _start(self) -> None:
        await self.runtime.start()
        self.offload.warm(self.runtime.engine_spec)
        try:
            self.service = await serve(ServiceConfig(runtime=self.runtime))
        except OSError as exc:
            log.error("feedlens: the companion service cannot listen on %s: %s",
                      self.config.service_url, exc.strerror or exc)
            return
        log.info("feedlens: profile %r, %d adapters, service at %s", self.runtime.profile_name,
                 len(self.runtime.engine.adapters.adapters), self.config.service_url)

    async def _stop(self) -> None:
        runner, self.service = self.service, None
        if runner is not None:
            await runner.cleanup()
        self.offload.close()
        await self.runtime.close()

    # -- connections --------------------------------------------------------------------------

    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        # Only the address changes: the client's URL and Host header stay as sent. (Inside an
        # HTTPS tunnel mitmproxy then shows the IP as flow.request.host; pretty_host keeps the name.)
        if self.config is None or not self.config.resolve or not data.server.address:
            return
        host = str(data.server.address[0])
        target = self.config.resolve.get(host.lower().rstrip("."))
        if target is not None:
            data.server.sni = data.server.sni or host  # keep TLS (SNI, verification) on the name
            data.server.address = target

    def tls_established_client(self, data: tls.TlsData) -> None:
        if self.runtime is not None:
            self.runtime.counters.tls_established()

    def tls_failed_client(self, data: tls.TlsData) -> None:
        # Most often the client does not trust mitmproxy's CA (or pins its certificate).
        if self.runtime is None:
            return
        peer = data.context.client.peername
        self.runtime.counters.tls_failed(peer[0] if peer else None, data.conn.sni, data.conn.error)

    # -- flows --------------------------------------------------------------------------------

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        request = flow.request
        if self.runtime is None or request.stream or request.method in ("GET", "HEAD"):
            return
        if _is_ask_time(flow):
            return  # answered here from the whole (small) form
        if not _large_or_unknown(request):
            return
        if not self._routes(flow):
            request.stream = True  # an upload that is not ours: never buffer it

    def request(self, flow: http.HTTPFlow):
        """Answer the ask-time form, and a blocked device's HTML feed pages, without upstream."""
        runtime = self.runtime
        if runtime is None or flow.response is not None:
            return None
        if _is_ask_time(flow):
            return asyncio.ensure_future(self._ask_time(flow))  # awaited by mitmproxy
        try:
            self._gate_page(flow)  # synchronous: no coroutine per request on the common path
        except Exception as exc:  # fail open: the request goes upstream as if no limits applied
            runtime.minors.failed(exc)
        return None

    def _gate_page(self, flow: http.HTTPFlow) -> None:
        minors = self.runtime.minors
        if not minors.limited() or not any(e.format == "html" for e in self._routes(flow)):
            return
        device, now = self._device(flow), minors.clock.now()
        decision = gate.decide(minors.status(device, now), html=True)
        if decision.action == gate.PASS:
            return
        lang = pick_language(flow.request.headers.get("accept-language"))
        limits = minors.limits_for(device)
        if decision.action == gate.REST_PAGE:
            body = blockpage.rest_body(lang, limits.rest_reminder_minutes or 0, flow.request.path)
            minors.rest_shown(device, now)
        else:
            until = minors.clock.local(decision.until).strftime("%H:%M") if decision.until else None
            body = blockpage.blocked_body(lang, reason=decision.reason, until_text=until,
                                          curfew=limits.curfew, budget=limits.daily_minutes)
            minors.counters["block_pages"] += 1
        self._answer(flow, blockpage.response(body))

    async def _ask_time(self, flow: http.HTTPFlow) -> None:
        """Never forwarded: whatever happens, the answer comes from here."""
        lang = "en"
        try:
            lang = pick_language(flow.request.headers.get("accept-language"))
            if flow.request.method != "POST":
                self._answer(flow, blockpage.response(blockpage.message_body(lang, "post_only"), 405))
                return
            form = flow.request.urlencoded_form
            request = await self.runtime.minors.add_time_request(
                self._device(flow), form.get("minutes", "30"), form.get("note", ""))
            self._answer(flow, blockpage.response(blockpage.asked_body(lang, request["minutes"])))
        except MinorsError:
            self._answer(flow, blockpage.response(blockpage.message_body(lang, "bad_request"), 400))
        except Exception as exc:  # the store is down, a bug of ours: say so, count it
            self.runtime.minors.failed(exc)
            self._answer(flow, blockpage.response(blockpage.message_body(lang, "failed"), 503))

    def _answer(self, flow: http.HTTPFlow, response: http.Response) -> None:
        flow.response = response
        flow.metadata["feedlens_answered"] = True  # ours: the response hooks leave it alone

    def _device(self, flow: http.HTTPFlow) -> str:
        return device_of(flow.metadata, flow.client_conn.peername)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        runtime = self.runtime
        if runtime is None or flow.response is None or flow.response.stream:
            return
        if flow.metadata.get("feedlens_answered"):
            return
        runtime.counters.responses_seen += 1
        peer = flow.client_conn.peername
        runtime.counters.client(peer[0] if peer else None)
        if self._routes(flow):
            stream = self._over_cap(flow.response)
            self.offload.warm(runtime.engine_spec)  # after a reload: start workers while the body loads
        else:
            stream = _large_or_unknown(flow.response)
        if stream:
            flow.response.stream = True
            runtime.counters.streamed += 1

    async def response(self, flow: http.HTTPFlow) -> None:
        runtime = self.runtime
        if runtime is None or not flow.live or flow.error or flow.response.stream:
            return
        if not 200 <= flow.response.status_code < 300 or not flow.response.raw_content:
            return
        if flow.metadata.get("feedlens_answered"):
            return
        endpoints = self._routes(flow, runtime.engine)
        if not endpoints:
            return
        started = time.perf_counter()
        device, engine, spec, decision, profile = self._engine_for(flow)
        try:
            outcome, new_raw = await self._transform(engine, spec, flow)
        except Exception as exc:  # undecodable body, a dead worker, a bug of ours: fail open
            outcome, new_raw = Outcome(endpoint=endpoints[0].name, platform=endpoints[0].platform,
                                       surface=endpoints[0].surface, reason="not processed",
                                       error=f"{type(exc).__name__}: {exc}"), None
        if new_raw is not None:
            _set_raw(flow.response, new_raw)
        if outcome.is_feed:
            self._record(flow, outcome, time.perf_counter() - started, device)
            self._count_use(device, profile, outcome, decision)

    def _engine_for(self, flow: http.HTTPFlow):
        """(device, engine, spec, gate, profile name) for a feed response; fails open."""
        runtime, device = self.runtime, None
        try:
            device = self._device(flow)
            profile = runtime.minors.profile_for(device)
            chosen = runtime.profile_engine(profile)
            if not chosen.limits.any:
                return device, chosen.engine, chosen.spec, gate.OPEN, profile
            minors = runtime.minors
            now = minors.clock.now()
            decision = gate.decide(minors.status(device, now), html=False,
                                   quota=minors.session_quota(device, now))
            if decision.action == gate.PASS and not decision.quota:
                return device, chosen.engine, chosen.spec, decision, profile
            spec = chosen.spec.with_gate(decision.hide_all, decision.quota)
            engine = Engine(chosen.engine.adapters, spec.gated(chosen.engine.profile),
                            body_cap=chosen.engine.body_cap)
            return device, engine, spec, decision, profile
        except Exception as exc:
            runtime.minors.failed(exc)
            return device, runtime.engine, runtime.engine_spec, gate.OPEN, None

    def _count_use(self, device: str | None, profile: str | None, outcome: Outcome, decision) -> None:
        minors = self.runtime.minors
        if device is None:
            return
        try:
            if decision.hide_all:
                minors.counters["blocked_feeds"] += 1
            minors.counters["session_hidden"] += sum(
                1 for i in outcome.items if i.decision_rule == gate.SESSION_RULE)
            minors.record_feed(device, profile or self.runtime.profile_name, minors.clock.now(),
                               gate.shown_counts(outcome.items), counted=not decision.hide_all)
        except Exception as exc:
            minors.failed(exc)

    async def _transform(self, engine: Engine, spec, flow: http.HTTPFlow):
        response = flow.response
        args = (_engine_request(flow), response.raw_content, response.headers.get("content-encoding"),
                response.headers.get("content-type"))
        if len(response.raw_content) >= OFFLOAD_MIN_BYTES and self.offload.available:
            return await self.offload.transform(spec, *args)
        return transform(engine, *args)

    def _routes(self, flow: http.HTTPFlow, engine: Engine | None = None) -> list:
        engine = engine or self.runtime.engine
        path = flow.request.path.partition("?")[0]
        return engine.candidates(flow.request.method, flow.request.pretty_host, path)

    def _over_cap(self, response: http.Response) -> bool:
        length = response.headers.get("content-length", "")
        return length.isdigit() and int(length) > self.config.body_cap

    def _record(self, flow: http.HTTPFlow, outcome: Outcome, elapsed: float,
                device: str | None = None) -> None:
        runtime, counters = self.runtime, self.runtime.counters
        hidden = sum(1 for item in outcome.items if item.decision == "hide")
        counters.feed_responses += 1
        counters.items_marked += len(outcome.items)
        counters.items_hidden += hidden
        counters.responses_changed += outcome.changed
        counters.last_feed[outcome.platform] = time.time()
        if outcome.error:
            self._failed(outcome)
        now, url = time.time(), _without_query(flow.request.pretty_url)
        runtime.recent.add(now, url, outcome.items)
        runtime.store.submit(ResponseRecord(
            time=now, platform=outcome.platform, endpoint=outcome.endpoint,
            surface=outcome.surface or "", url=url,
            status=flow.response.status_code, changed=outcome.changed,
            error=outcome.error or outcome.reason, items=outcome.items, device=device))
        flow.metadata["feedlens"] = {
            "platform": outcome.platform, "endpoint": outcome.endpoint, "surface": outcome.surface,
            "items": len(outcome.items), "hidden": hidden, "provenance": outcome.counts(),
            "changed": outcome.changed, "error": outcome.error, "reason": outcome.reason,
            "ms": round(elapsed * 1000, 2)}

    def _failed(self, outcome: Outcome) -> None:
        self.runtime.counters.error(outcome.platform, outcome.error)
        if outcome.platform not in self._logged:
            self._logged.add(outcome.platform)
            log.warning("feedlens: %s/%s failed, response passed unchanged (logged once per "
                        "adapter; see /api/health): %s", outcome.platform, outcome.endpoint, outcome.error)


def _is_ask_time(flow: http.HTTPFlow) -> bool:
    return flow.request.path.partition("?")[0] == blockpage.ASK_PATH


def _large_or_unknown(message: http.Message) -> bool:
    length = message.headers.get("content-length", "")
    return not length.isdigit() or int(length) >= STREAM_MIN_BYTES


def _engine_request(flow: http.HTTPFlow) -> Request:
    return Request(method=flow.request.method, url=flow.request.pretty_url,
                   body=flow.request.get_content(strict=False) or None,
                   content_type=flow.request.headers.get("content-type"))


def _set_raw(response: http.Response, raw: bytes) -> None:
    """Like Response.set_content, with a body already encoded (proxy.offload.encode)."""
    response.raw_content = raw
    if "transfer-encoding" not in response.headers:
        response.headers["content-length"] = str(len(raw))


def _without_query(url: str) -> str:
    # Query strings carry access keys on some platforms; the item log does not need them.
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def parse_options(options) -> Config:
    """All feedlens_* options as one Config; raises OptionsError naming the bad value."""
    try:
        resolve = parse_resolve(options.feedlens_resolve)
    except ValueError as exc:
        raise exceptions.OptionsError(f"feedlens_resolve: {exc}") from None
    rules = Path(options.feedlens_rules).expanduser() if options.feedlens_rules else paths.rules_dir()
    if not paths.platforms_dir(rules).is_dir():
        raise exceptions.OptionsError(f"feedlens_rules: {rules} has no platforms/ directory")
    if options.feedlens_mark_style not in MARK_STYLES:
        raise exceptions.OptionsError(f"feedlens_mark_style: {options.feedlens_mark_style!r} is not "
                                      f"one of {', '.join(MARK_STYLES)}")
    if options.feedlens_body_cap <= 0:
        raise exceptions.OptionsError("feedlens_body_cap must be a positive number of bytes")
    if not 0 < options.feedlens_service_port < 65536:
        raise exceptions.OptionsError("feedlens_service_port must be between 1 and 65535")
    if not is_loopback(options.feedlens_service_host):
        raise exceptions.OptionsError("feedlens_service_host must be a loopback address "
                                      "(the service holds your item log)")
    data_dir = paths.data_dir(options.feedlens_data_dir)
    return Config(data_dir=data_dir, rules_dir=rules, profile=options.feedlens_profile,
                  service_host=options.feedlens_service_host,
                  service_port=options.feedlens_service_port,
                  mark_style=options.feedlens_mark_style, body_cap=options.feedlens_body_cap,
                  resolve=resolve)


def check_profile(config: Config) -> None:
    """An explicitly chosen profile must load; a bad saved choice only shows in health."""
    if not config.profile:
        return
    try:
        load_profile(paths.resolve_profile(config.profile, config.rules_dir))
    except ProfileError as exc:
        raise exceptions.OptionsError("feedlens_profile: " + "; ".join(exc.messages)) from None

