"""Research mode on the running proxy: consent, pause, recording, preview, deletion, retention.

`Research` hooks into the item log (store.batch_hooks): each batch of responses the store
writes also writes one research record per item, in the same transaction, while research
mode is on and not paused. Off by default; nothing is recorded without a consent record.
The choice watchdog's observations and reverts are recorded the same way, inside the
watchdog's write (choice_events.py); deletion and retention cover them as well.

Every change of state runs on the store's writer thread (store.run_write), the thread the hook
runs on, so a batch sees either the old state or the new one, never half of it. Recording
must never cost the item log: a failing research insert is rolled back to a savepoint and
logged, and the batch's items are still written.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..sqlerrors import rollback
from . import choice_events
from . import consent as consents
from . import enrolment as enrolments
from . import export
from .consent import Consent
from .pseudonym import Pseudonyms, ensure_key, load_key

log = logging.getLogger(__name__)

DAY = 86400.0
PRUNE_EVERY = 3600.0
RECORD_COLUMNS = ("consent_id", "time", "response_id", "platform", "endpoint", "surface",
                  "position", "kind", "provenance", "reason_category", "decision", "item_pid",
                  "author_pid", "title", "text", "author_name", "url", "reason_text", "format",
                  "relation", "pack")
INSERT = (f"INSERT INTO research_records ({', '.join(RECORD_COLUMNS)}) "
          f"VALUES ({', '.join('?' * len(RECORD_COLUMNS))})")
MAX_PREVIEW = 500


@dataclass(frozen=True)
class _State:
    consent: Consent | None = None
    paused: bool = False
    pseudonyms: Pseudonyms | None = None

    @property
    def recording(self) -> bool:
        return self.consent is not None and not self.paused and self.pseudonyms is not None


class Research:
    def __init__(self, store, data_dir: Path, *, clock=time.time):
        self.store = store
        self.data_dir = Path(data_dir)
        self.clock = clock
        self._state: _State | None = None  # None until read from the database
        self._data_version: int | None = None  # of the writer connection, when state was read
        self._last_prune = 0.0
        self.errors = 0
        # Only the consenting participant's own traffic: the runtime excludes devices a parent
        # gave their own profile (a child's phone did not consent to a study).
        self.include_device: Callable[[str | None], bool] = lambda device: True
        store.batch_hooks.append(self._on_batch)
        choice_events.attach(store, self)  # the choice watchdog's events, see choice_events.py

    # -- state -------------------------------------------------------------------------------

    @property
    def enabled(self) -> bool:
        return self._state is not None and self._state.consent is not None

    @property
    def paused(self) -> bool:
        return self._state is not None and self._state.paused

    @property
    def consent(self) -> Consent | None:
        return self._state.consent if self._state else None

    async def start(self) -> None:
        """Read the saved state and drop records past retention (call after store.start)."""
        await self.state()
        await self.prune()

    async def state(self) -> dict:
        await self.store.run_write(self._fresh)
        counts = await self.store.run_read(_record_counts)
        state = self._state
        return {"enabled": state.consent is not None, "paused": state.paused,
                "recording": state.recording,
                "consent": state.consent.to_dict() if state.consent else None,
                "fields_available": list(consents.FIELDS), "problem": _problem(state), **counts}

    async def refresh(self) -> Consent | None:
        """The consent in force, read again if another process changed it (cheap: no counts)."""
        await self.store.run_write(self._fresh)
        return self.consent

    def _fresh(self, conn: sqlite3.Connection) -> _State:
        """The state, read again when another connection (`feedlens research …`) changed the file."""
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self._data_version, self._state = version, None
        return self._load(conn)

    def _load(self, conn: sqlite3.Connection) -> _State:
        if self._state is None:
            consent, paused = consents.load_state(conn)
            key = load_key(self.data_dir, consent.study_id) if consent else None
            if consent is not None and key is None:
                # Without its key no pseudonym would match earlier ones: stay off, say why.
                log.error("research: key for study %r is missing; recording is stopped",
                          consent.study_id)
            self._state = _State(consent, paused, Pseudonyms(key) if key else None)
        return self._state

    async def enable(self, study_id: str, consent_version: str, fields, retention_days: int,
                     study_key: str | None = None, participant: str | None = None) -> Consent:
        """Record from now on under a new consent record (replacing any earlier consent)."""
        study_id, consent_version, fields, retention_days = consents.checked(
            study_id, consent_version, fields, retention_days)
        key = await asyncio.to_thread(ensure_key, self.data_dir, study_id, study_key)  # or ValueError

        def run(conn: sqlite3.Connection) -> Consent:
            now = self.clock()
            self._load(conn)
            if self._state.consent is not None:
                consents.withdraw(conn, self._state.consent.id, now)
            consent = consents.insert(conn, study_id, consent_version, fields, retention_days, now,
                                      participant)
            consents.save_state(conn, consent.id, False, now)
            self._state = _State(consent, False, Pseudonyms(key))
            return consent
        consent = await self.store.run_write(run)
        log.info("research: on for study %r, consent %s, fields %s", study_id, consent_version,
                 ", ".join(fields) or "none")
        return consent

    async def disable(self) -> None:
        """Stop recording and withdraw the consent; recorded rows stay until deleted or expired."""
        def run(conn: sqlite3.Connection) -> None:
            now = self.clock()
            state = self._load(conn)
            if state.consent is not None:
                consents.withdraw(conn, state.consent.id, now)
            consents.save_state(conn, None, False, now)
            self._state = _State()
        await self.store.run_write(run)

    async def pause(self, paused: bool) -> None:
        def run(conn: sqlite3.Connection) -> None:
            state = self._load(conn)
            if state.consent is None:
                raise ValueError("research mode is off: nothing to pause")
            consents.save_state(conn, state.consent.id, paused, self.clock())
            self._state = _State(state.consent, paused, state.pseudonyms)
        await self.store.run_write(run)

    # -- participant control -----------------------------------------------------------------

    async def preview(self, limit: int = 20) -> list[dict]:
        """The newest rows exactly as `feedlens export` would write them."""
        limit = max(1, min(int(limit), MAX_PREVIEW))
        now = self.clock()
        return await self.store.run_read(
            lambda conn: export.as_dicts(export.rows(conn, now=now, newest_first=True, limit=limit)))

    async def delete(self, since: float | None = None, until: float | None = None) -> int:
        """Delete own records and choice events seen in [since, until) (open ends: everything);
        returns how many rows of both."""
        low = -1e18 if since is None else since
        high = 1e18 if until is None else until
        removed, newest = await self.store.run_write(lambda conn: (
            _erase(conn, "time >= ? AND time < ?", (low, high)),
            conn.execute("SELECT coalesce(max(id), 0) FROM research_records").fetchone()[0]))
        await asyncio.to_thread(enrolments.rewind, self.data_dir, newest)  # study server uploads
        await asyncio.to_thread(self._checkpoint)
        return removed

    def _checkpoint(self) -> None:
        """Until a checkpoint, older page versions in the WAL still hold the deleted rows."""
        conn = sqlite3.connect(self.store.path, timeout=5)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            log.warning("research: checkpoint after deletion failed: %s", exc)
        finally:
            conn.close()

    async def prune(self, now: float | None = None) -> int:
        now = self.clock() if now is None else now
        return await self.store.run_write(lambda conn: self._prune(conn, now))

    def _prune(self, conn: sqlite3.Connection, now: float) -> int:
        """Delete records older than the retention of the consent they were made under."""
        self._last_prune = now
        removed = 0
        for consent_id, days in consents.retentions(conn):
            removed += _erase(conn, "time < ? AND consent_id = ?", (now - days * DAY, consent_id))
        return removed

    # -- recording (writer thread, inside the item batch's transaction) ----------------------

    def on_choice_event(self, conn: sqlite3.Connection, event: dict) -> bool:
        """Record one of the choice watchdog's events (writer thread, inside its write, where a
        failure is rolled back to its savepoint); returns whether it was recorded."""
        state = self._fresh(conn)
        if not state.recording or not self.include_device(event.get("device")):
            return False
        conn.execute(choice_events.INSERT, choice_events.row(state.consent.id, state.pseudonyms, event))
        now = self.clock()
        if now - self._last_prune >= PRUNE_EVERY:
            self._prune(conn, now)
        return True

    def _on_batch(self, conn: sqlite3.Connection, written) -> None:
        try:
            state = self._fresh(conn)
        except sqlite3.Error as exc:  # e.g. a store opened without this feature's tables
            self._state = _State()
            log.error("research: cannot read the research state, recording stays off: %s", exc)
            return
        if not state.recording:
            return
        conn.execute("SAVEPOINT research")
        try:
            conn.executemany(INSERT, record_rows(
                state, [(record, rid) for record, rid in written if self.include_device(record.device)]))
            now = self.clock()
            if now - self._last_prune >= PRUNE_EVERY:
                self._prune(conn, now)
            conn.execute("RELEASE research")
        except sqlite3.Error as exc:  # the item log must not lose its batch over research
            if not conn.in_transaction:  # SQLite rolled the whole batch back (disk full): say so
                raise
            rollback(conn, "research")
            self.errors += 1
            log.error("research: could not record a batch: %s", exc)


def record_rows(state: _State, written) -> list[tuple]:
    """One row per item; raw fields only where consented (None otherwise)."""
    consent, pids = state.consent, state.pseudonyms
    fields = set(consent.fields)
    title, text, url = "title" in fields, "text" in fields, "url" in fields
    author, reason = "author_name" in fields, "reason_text" in fields
    rows = []
    for record, response_id in written:
        at = record.time
        for item in record.items:
            platform = item.platform
            rows.append((
                consent.id, at, response_id, platform, item.endpoint, item.surface, item.position,
                item.kind, str(item.provenance), item.rule, item.decision,
                pids.item(platform, item.id), pids.author(platform, item.author_id),
                item.title if title else None, item.text if text else None,
                item.author if author else None, item.url if url else None,
                item.reason if reason else None, item.format, item.relation, item.pack))
    return rows


def _problem(state: _State) -> str | None:
    if state.consent is not None and state.pseudonyms is None:
        return (f"the key of study {state.consent.study_id!r} is missing from the data directory:"
                " recording is stopped (give consent again to continue with a new key)")
    return None


ERASED = ("research_records", "research_choice_events")  # both: time and consent_id


def _erase(conn: sqlite3.Connection, where: str, params: tuple) -> int:
    """Delete research records and choice events, zeroing their bytes so deleted text does not
    linger in the file."""
    previous = conn.execute("PRAGMA secure_delete").fetchone()[0]
    conn.execute("PRAGMA secure_delete = ON")
    try:
        return sum(conn.execute(f"DELETE FROM {table} WHERE {where}", params).rowcount
                   for table in ERASED)
    finally:
        conn.execute(f"PRAGMA secure_delete = {int(previous)}")


def _record_counts(conn: sqlite3.Connection) -> dict:
    row = conn.execute("SELECT COUNT(*), MIN(time), MAX(time) FROM research_records").fetchone()
    events = conn.execute("SELECT COUNT(*) FROM research_choice_events").fetchone()[0]
    return {"records": row[0], "first": row[1], "last": row[2], "choice_events": events}
