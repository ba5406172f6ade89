"""feedlens's mitmproxy options: declared in load(), parsed once into a Config in configure()."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from mitmproxy import ctx, exceptions
from mitmproxy.utils import human

from .. import paths
from ..engine import DEFAULT_BODY_CAP
from ..packs.background import DEFAULT_PERIOD
from ..profiles import ProfileError, load_profile
from ..settings import MARK_STYLES, Config, parse_resolve
from ..service.security import is_loopback
from .state import Shared

log = logging.getLogger("feedlens")

OPTIONS = {"feedlens_rules", "feedlens_profile", "feedlens_data_dir", "feedlens_service_host",
           "feedlens_service_port", "feedlens_mark_style", "feedlens_body_cap", "feedlens_resolve",
           "feedlens_pack_check", "feedlens_counterfactual", "feedlens_counterfactual_interval"}
MIN_INTERVAL = 60  # seconds: the counterfactual check is rate-limited, never a poller
RESTART_OPTIONS = ("data_dir", "service_host", "service_port", "pack_check")


class Options:
    name = "feedlens_options"  # unique among mitmproxy's add-ons

    def __init__(self, shared: Shared):
        self.shared = shared
        self._bound: int | None = None  # the stream_large_bodies value we set

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
        loader.add_option("feedlens_pack_check", int, int(DEFAULT_PERIOD),
                          "Seconds between checks of the subscribed rule packs for updates; 0: never "
                          "in the background.")
        loader.add_option("feedlens_household", str, "",
                          "Household mode: HOST[:PORT] of the LAN dashboard over HTTPS (port 8443 when "
                          "not given); empty: off (docs/household.md).")
        loader.add_option("feedlens_counterfactual", bool, False,
                          "Opt-in: for platforms that show nothing of the personalisation switch on the "
                          "wire, fetch the same feed again without your login (no cookie, no token) and "
                          "report a suspected revert when it differs from your declared-off baseline.")
        loader.add_option("feedlens_counterfactual_interval", int, 30 * 60,
                          "Seconds between paired fetches of one platform (at least 60; default 30 minutes).")

    def configure(self, updated: set[str]) -> None:
        # Also called once per option while load() declares them: wait for the full set.
        if not updated & OPTIONS or not all(name in ctx.options for name in OPTIONS):
            return
        config = parse_options(ctx.options)
        if config == self.shared.config:
            return
        if self.shared.runtime is not None:
            self._apply_live(config)
        elif updated & {"feedlens_profile", "feedlens_rules"}:
            check_profile(config)
        self.shared.config = config
        self._bound_buffering(config.body_cap)

    def _bound_buffering(self, cap: int) -> None:
        """mitmproxy buffers a body of unknown length (chunked) until it ends; with
        stream_large_bodies it buffers up to that size and then streams the rest, headers and
        buffered part first, unmodified. So no body, feed or request, is held past the cap. A
        smaller value the user set stays."""
        if "stream_large_bodies" not in ctx.options:  # declared by mitmproxy's proxy server
            return
        current = human.parse_size(ctx.options.stream_large_bodies)
        if current is None or current > cap or current == self._bound:
            self._bound = cap
            ctx.options.update(stream_large_bodies=str(cap))

    def _apply_live(self, config: Config) -> None:
        for name in RESTART_OPTIONS:
            if getattr(config, name) != getattr(self.shared.config, name):
                raise exceptions.OptionsError(f"feedlens_{name} cannot change while running; restart")
        try:
            self.shared.runtime.apply(config)
        except ValueError as exc:
            raise exceptions.OptionsError(str(exc)) from None


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
    if options.feedlens_pack_check < 0:
        raise exceptions.OptionsError("feedlens_pack_check must be 0 (off) or a number of seconds")
    if options.feedlens_counterfactual_interval < MIN_INTERVAL:
        raise exceptions.OptionsError(f"feedlens_counterfactual_interval must be at least {MIN_INTERVAL} seconds")
    if not is_loopback(options.feedlens_service_host):
        raise exceptions.OptionsError("feedlens_service_host must be a loopback address "
                                      "(the service holds your item log)")
    return Config(data_dir=paths.data_dir(options.feedlens_data_dir), rules_dir=rules,
                  profile=options.feedlens_profile, service_host=options.feedlens_service_host,
                  service_port=options.feedlens_service_port,
                  mark_style=options.feedlens_mark_style, body_cap=options.feedlens_body_cap,
                  resolve=resolve, pack_check=float(options.feedlens_pack_check),
                  counterfactual=options.feedlens_counterfactual,
                  counterfactual_interval=float(options.feedlens_counterfactual_interval))


def check_profile(config: Config) -> None:
    """An explicitly chosen profile must load; a bad saved choice only shows in health."""
    if not config.profile:
        return
    try:
        load_profile(paths.resolve_profile(config.profile, config.rules_dir))
    except ProfileError as exc:
        raise exceptions.OptionsError("feedlens_profile: " + "; ".join(exc.messages)) from None
