"""A sent report's result from the browser, and retries of failed (or unanswered) reports."""

from __future__ import annotations

from aiohttp import web

from ..reports import ratelimit, store as rstore, templates
from . import validate as v
from .errors import ApiError, json_response
from .reports_common import (adapter_for, get_report, limited, public, retryable, runtime_of,
                             settings_of, transition)

MAX_RESULT_BODY = 64 * 1024
RESULT_FIELDS = {"http_status": int, "body": str, "error": str}


async def result(request: web.Request) -> web.Response:
    body = await v.json_body(request, RESULT_FIELDS, required=frozenset({"http_status"}))
    status_code, text, error = body["http_status"], body.get("body", ""), body.get("error")
    if not 0 <= status_code <= 999:
        raise ApiError(400, "http_status must be 0 (no answer) to 999")
    if len(text) > MAX_RESULT_BODY:
        raise ApiError(413, f"body is at most {MAX_RESULT_BODY} characters")
    report = await get_report(request)
    status, message = _interpret(runtime_of(request), report, status_code, text, error)
    settings = settings_of(request)
    now = settings.clock()
    await transition(request, lambda conn: rstore.record_result(
        conn, report["id"], now=now, http_status=status_code, body=text, error=error,
        status=status, message=message))
    return json_response({"report": public(await get_report(request), settings, settings.clock())})


def _interpret(runtime, report: dict, http_status: int, body: str,
               error: str | None) -> tuple[str, str]:
    if error:
        return "failed", error[:500]
    try:
        adapter = adapter_for(runtime, report["platform"])
    except ApiError:
        return "failed", f"no adapter for {report['platform']} to read the answer with"
    try:
        status, message = templates.interpret(adapter, report["kind"], http_status, body)
    except ValueError as exc:  # the adapter changed since: this kind is no longer sent by API
        return "failed", str(exc)
    if status not in ("submitted", "duplicate", "rate_limited", "failed"):
        return "failed", f"unexpected outcome {status!r}: {message}"
    return status, message


async def retry(request: web.Request) -> web.Response:
    v.query(request, {})
    report = await get_report(request)
    settings = settings_of(request)
    now = settings.clock()

    def begin(conn):
        current = rstore.get(conn, report["id"])
        if not retryable(current, settings, now):
            raise rstore.StateError(f"only failed reports can be retried; report "
                                    f"{report['id']} is {current['status']}")
        wait = settings.limit.retry_after(
            rstore.send_times(conn, current["platform"], now - ratelimit.HOUR), now)
        if wait is not None:
            return wait
        if current["status"] == "stored":
            rstore.give_up_waiting(conn, current["id"], now,
                                   "no result came back from the browser")
        rstore.begin_retry(conn, current["id"], now)
        return None
    wait = await transition(request, begin)
    if wait is not None:
        raise limited(report["platform"], wait, settings.limit)
    return json_response({"report": public(await get_report(request), settings, now),
                          "request": report["request"]})
