"""Tamper signals for the parent: signs that a device gets around feedlens.

Three signals, each a plain dict {kind, device, since, detail}:
- `device_silent`: a device that uses the proxy every day has sent no feed traffic for more
  than SILENT_HOURS of the hours it was allowed to use (curfew and spent budgets don't count),
  e.g. because its proxy setting was removed.
- `tls_untrusted`: a client whose TLS handshakes with the proxy fail: it does not trust the
  feedlens certificate, so its apps either break or were moved off the proxy.
- `extension_silent`: the browser extension stopped calling the service while the proxy
  still sees feed traffic (removed or disabled).
The functions are pure: the caller passes the facts and `now`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

SILENT_HOURS = 6.0
EXTENSION_SILENT_MINUTES = 30.0
TLS_WINDOW_HOURS = 24.0
STEP_SECONDS = 600.0  # resolution of the allowed-hours count
MAX_LOOKBACK_SECONDS = 7 * 86400.0

Blocked = Callable[[str, float], bool]  # (device, time) -> was it in curfew or out of budget


def allowed_seconds(device: str, since: float, now: float, blocked: Blocked,
                    enough: float) -> float:
    """Seconds in [since, now) when `device` was allowed to use feeds (stops once > enough)."""
    start = max(since, now - MAX_LOOKBACK_SECONDS)
    total, t = 0.0, start
    while t < now and total <= enough:
        step = min(STEP_SECONDS, now - t)
        if not blocked(device, t + step / 2):
            total += step
        t += step
    return total


def silent_devices(devices: Iterable[dict], now: float, blocked: Blocked,
                   hours: float = SILENT_HOURS) -> list[dict]:
    out = []
    for device in devices:
        last = device.get("last_seen")
        if not device.get("expected_daily") or last is None:
            continue
        allowed = allowed_seconds(device["name"], last, now, blocked, hours * 3600)
        if allowed > hours * 3600:
            out.append({"kind": "device_silent", "device": device["name"], "since": last,
                        "detail": f"no feed traffic for {allowed / 3600:.1f} allowed hours"})
    return out


def untrusting_clients(counters: dict, devices: Iterable[dict], now: float,
                       hours: float = TLS_WINDOW_HOURS) -> list[dict]:
    """Clients with recent TLS failures (per client when the counters keep that, else the last)."""
    failures = dict(counters.get("tls_failures_by_client") or {})
    last = counters.get("last_tls_failure")
    if last and last.get("client"):
        failures.setdefault(last["client"], last)
    names = {d["name"].removeprefix("addr:"): d["name"] for d in devices
             if d["name"].startswith("addr:")}
    out = []
    for client, failure in sorted(failures.items()):
        when = failure.get("time") if isinstance(failure, dict) else failure
        if when is None or now - when > hours * 3600:
            continue
        detail = ", ".join(str(failure[k]) for k in ("sni", "error")
                           if isinstance(failure, dict) and failure.get(k))
        out.append({"kind": "tls_untrusted", "device": names.get(client, f"addr:{client}"),
                    "since": when, "detail": detail or None})
    return out


def extension_silence(last_contact: float | None, last_feed: float | None, now: float,
                      minutes: float = EXTENSION_SILENT_MINUTES) -> list[dict]:
    if last_contact is None or last_feed is None:
        return []  # never seen: maybe not installed, which is no tampering
    quiet = minutes * 60
    if now - last_contact > quiet and last_feed > last_contact + quiet:
        return [{"kind": "extension_silent", "device": None, "since": last_contact,
                 "detail": f"no contact for {(now - last_contact) / 60:.0f} min while feeds load"}]
    return []
