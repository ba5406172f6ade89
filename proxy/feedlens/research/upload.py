"""Uploads to the study server: exactly the rows the participant's preview and export show
(export.py's query, limited to this enrolment's participant and the records after the mark the
server acknowledged), in gzip batches signed with the participant's key. The mark moves only
after the server's answer, and the server takes a record once, so a failure at any point (the
network, the server restarting, this process stopping) loses and duplicates nothing: the next
try sends the batch again. Failed tries back off exponentially up to the study's interval."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import random
import time
from pathlib import Path

import aiohttp

from . import enrolment as enrolments
from . import export
from .study_client import TIMEOUT, StudyServerError, signed_post

log = logging.getLogger(__name__)

BATCH = 1000
IDLE = 2.0           # seconds between looks while there is no enrolment (a glob, no query)
MAX_BACKOFF = 300.0
# The server will never take this participant's uploads again (withdrawn there, an unknown
# key): retrying would resend the same refused batch every interval, so the uploader stops and
# says why until feedlens starts again (`research upload` still tries once, by hand).
REFUSED_FOR_GOOD = frozenset({401, 403, 410})

PENDING = (export.RECORDS.select + " AND c.study_id = ? AND c.participant = ? AND r.id > ?"
           " ORDER BY r.id LIMIT ?")


def pending(conn, enrolment, limit: int, now: float) -> list[dict]:
    params = (*export._span(None, None, now), enrolment.study_id, enrolment.participant,
              enrolment.uploaded_through, limit)
    return export.as_dicts([conn.execute(PENDING, params).fetchall()])


def body_of(rows: list[dict]) -> bytes:
    dumps = json.JSONEncoder(ensure_ascii=False).encode  # as the preview and JSONL export
    return gzip.compress(dumps({"records": rows}).encode(), compresslevel=6)


class Uploader:
    def __init__(self, research, *, batch: int = BATCH, clock=time.time):
        self.research, self.batch, self.clock = research, batch, clock
        self.data_dir = Path(research.data_dir)
        self.failures = 0
        self.last_error: str | None = None
        self.stopped: str | None = None  # why the uploads stopped for good, if they did

    def enrolment(self):
        return enrolments.current(self.data_dir, self.research.consent)

    async def upload_once(self) -> int:
        """Send every pending record now; returns how many were sent. Raises StudyServerError."""
        if not any((self.data_dir / "research").glob("*.study.json")):
            return 0  # never enrolled with a study server: not even a query
        await self.research.refresh()  # the consent in force, read again from the database
        enrolment = self.enrolment()
        if enrolment is None:
            return 0
        sent = 0
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            while True:
                rows = await self.research.store.run_read(
                    lambda conn: pending(conn, enrolment, self.batch, self.clock()))
                if not rows:
                    return sent
                await signed_post(enrolment, "/api/upload", body_of(rows), session)
                enrolment = await asyncio.to_thread(
                    enrolments.advanced, self.data_dir, enrolment, rows[-1]["record_id"])
                sent += len(rows)

    async def run(self) -> None:
        """Upload every interval of the study, backing off after failures (the proxy's task),
        until the server refuses this participant for good."""
        while (delay := await self._step()) is not None:
            await asyncio.sleep(delay)

    async def _step(self) -> float | None:
        try:
            await self.upload_once()
        except StudyServerError as exc:
            self.failures += 1
            self.last_error = str(exc)
            if exc.status in REFUSED_FOR_GOOD:
                self.stopped = f"the study server refused this participant ({exc.status}): {exc}"
                log.error("research: uploads stopped: %s", self.stopped)
                return None
            log.warning("research: upload failed (try %d): %s", self.failures, exc)
            return self._backoff(exc.retry_after)
        except Exception:  # the proxy's task must outlive any surprise
            self.failures += 1
            log.exception("research: upload failed")
            return self._backoff(None)
        self.failures, self.last_error = 0, None
        enrolment = self.enrolment()
        return float(enrolment.upload_interval) if enrolment else IDLE

    def _backoff(self, retry_after: float | None) -> float:
        enrolment = self.enrolment()
        cap = min(MAX_BACKOFF, float(enrolment.upload_interval) if enrolment else MAX_BACKOFF)
        delay = min(cap, 2.0 ** (self.failures - 1)) * random.uniform(0.5, 1.0)
        return max(delay, retry_after or 0.0)
