"""What the reports API, its create and result routes and the /reports page share: the
settings (rate limit, result timeout), the adapter and categories a report needs, and a stored
report as the API shows it. The route modules and the page import this one, not each other.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from ..reports import bundle, categories, store as rstore
from ..reports.ratelimit import ENV_MIN_INTERVAL, ENV_PER_HOUR, RateLimit, header_value
from .config import CONFIG
from .errors import ApiError

log = logging.getLogger(__name__)

RESULT_TIMEOUT = 300.0  # a hand-out with no result after this long counts as failed on retry
ENV_RESULT_TIMEOUT = "FEEDLENS_REPORT_RESULT_TIMEOUT"


@dataclass


class ReportSettings:
    limit: RateLimit = field(default_factory=RateLimit)
    result_timeout: float = RESULT_TIMEOUT
    clock: Callable[[], float] = time.time  # tests move time instead of sleeping


SETTINGS = web.AppKey("feedlens_reports", ReportSettings)


def settings_from_env() -> ReportSettings:
    try:
        limit = RateLimit.from_env()
        timeout = float(os.environ.get(ENV_RESULT_TIMEOUT) or RESULT_TIMEOUT)
    except ValueError as exc:  # a typo in the environment must not stop the proxy
        log.warning("feedlens: %s; using the default report limits", exc)
        return ReportSettings()
    return ReportSettings(limit=limit, result_timeout=timeout)


def runtime_of(request: web.Request):
    return request.app[CONFIG].runtime


def settings_of(request: web.Request) -> ReportSettings:
    return request.app[SETTINGS]


def adapter_for(runtime, platform: str):
    for adapter in runtime.engine.adapters.adapters:
        if adapter.platform == platform:
            return adapter
    raise ApiError(404, f"no adapter for platform {platform!r}")


def _rules_for_categories(request: web.Request):
    """The runtime's rules dir when it has categories.yaml, else the bundled one."""
    rules_dir = request.app[CONFIG].rules_dir
    return rules_dir if (rules_dir / "categories.yaml").is_file() else None


async def load_categories(request: web.Request) -> dict[str, categories.Category]:
    try:
        found = await asyncio.to_thread(categories.load_categories, _rules_for_categories(request))
    except ValueError as exc:
        raise ApiError(500, "the report categories file is invalid",
                       str(exc).splitlines()) from None
    return {category.id: category for category in found}


# ---- stored reports ------------------------------------------------------------------------


def retryable(report: dict, settings: ReportSettings, now: float) -> bool:
    if report["status"] == "failed":
        return True
    return report["status"] == "stored" and report["sent"] is not None \
        and now - report["sent"] >= settings.result_timeout


def public(report: dict, settings: ReportSettings, now: float, parts=None) -> dict:
    out = {key: value for key, value in report.items() if key != "request"}
    out["retryable"] = retryable(report, settings, now)
    if "request" in report:
        out["manual_url"] = (report["request"] or {}).get("manual_url")
    if parts is not None:
        out["manifest_sha256"] = next(p.sha256 for p in parts if p.name == bundle.MANIFEST)
    return out


async def get_report(request: web.Request) -> dict:
    report_id = int(request.match_info["id"])
    report = await runtime_of(request).store.run_read(lambda conn: rstore.get(conn, report_id))
    if report is None:
        raise ApiError(404, f"no report {report_id}")
    return report


def limited(platform: str, wait: float, limit: RateLimit) -> ApiError:
    return ApiError(429, f"too many reports on {platform}: at most one every "
                         f"{limit.min_interval:g} s and {limit.per_hour} per hour (settings "
                         f"{ENV_MIN_INTERVAL}, {ENV_PER_HOUR}); nothing was "
                         f"stored, try again in {header_value(wait)} s",
                    headers={"Retry-After": header_value(wait)})


async def transition(request: web.Request, change):
    try:
        return await runtime_of(request).store.run_write(change)
    except rstore.StateError as exc:
        raise ApiError(409, str(exc)) from None
