"""The choice watchdog's observations and reverts as research records (research_choice_events).

The watchdog (another feature) hands each event to the listeners in feedlens.hooks, on the
store's writer thread inside its own write. The listener here finds the Research attached to
that store and records the event only while research mode is recording, for the participant's
own devices (recorder.Research.on_choice_event). What is kept is not identifying: the device
becomes a pseudonym, and of the evidence only the field read, its value (cut short), the rule,
the method, host and path (never a query string), the counterfactual check's numbers.
"""

from __future__ import annotations

import json
import weakref

from .pseudonym import Pseudonyms

COLUMNS = ("consent_id", "time", "platform", "choice", "event", "rule", "kind", "sure", "state",
           "reason", "epoch", "device_pid", "evidence")
INSERT = (f"INSERT INTO research_choice_events ({', '.join(COLUMNS)}) "
          f"VALUES ({', '.join('?' * len(COLUMNS))})")
# Evidence keys kept: what read the switch and where; the counterfactual check's numbers.
KEPT = frozenset({"rule", "from", "read", "value", "method", "host", "path", "time", "overlap",
                  "own_items", "paired_items", "baseline", "error"})
MAX_TEXT = 120
UNKNOWN_DEVICE = "?"  # the add-on's name for a flow without a client address

_attached: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # store -> Research


def attach(store, research) -> None:
    """`research` records the choice events written through `store` (one Research per store)."""
    _attached[store] = research


def listener(store, conn, event: dict) -> None:
    """The hook (feedlens.hooks.register_choice_listener): nothing without a Research."""
    research = _attached.get(store)
    if research is not None:
        research.on_choice_event(conn, event)


def row(consent_id: int, pids: Pseudonyms, event: dict) -> tuple:
    device = event.get("device")
    device_pid = None if device in (None, "", UNKNOWN_DEVICE) else pids.device(device)
    return (consent_id, event["time"], event["platform"], event["choice"], event["event"],
            event.get("rule"), event.get("kind"), event.get("sure"), event.get("state"),
            event.get("reason"), event.get("epoch"), device_pid,
            json.dumps(evidence(event.get("evidence")), ensure_ascii=False, sort_keys=True))


def evidence(found) -> dict | list:
    """Only the kept keys, with scalar values; a revert's list element by element."""
    if isinstance(found, list):
        return [evidence(e) for e in found if isinstance(e, dict)]
    if not isinstance(found, dict):
        return {}
    return {key: _scalar(key, value) for key, value in found.items() if key in KEPT}


def _scalar(key: str, value):
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    if key == "path":
        text = text.partition("?")[0]  # a path never carries its query string here
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
