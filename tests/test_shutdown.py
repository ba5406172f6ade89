"""A stop writes every queued record, even when another part fails to stop (issue 15, item 7)."""

from __future__ import annotations

import sqlite3

import pytest

from feedlens.addons.lifecycle import Lifecycle
from feedlens.addons.state import Shared
from tests.service_support import demo_item, record, rules_dir, runtime  # noqa: F401


def responses(runtime) -> int:
    with sqlite3.connect(runtime.config.db_path) as conn:
        return conn.execute("SELECT count(*) FROM responses").fetchone()[0]


class FailingRunner:
    async def cleanup(self):
        raise RuntimeError("the service would not stop")


async def test_queued_records_are_written_when_the_service_fails_to_stop(runtime):
    await runtime.start()
    for n in range(50):  # queued, not yet written: the writer waits up to its flush interval
        runtime.store.submit(record([demo_item(0, f"i{n}")]))
    shared = Shared(config=runtime.config, runtime=runtime, service=FailingRunner())
    with pytest.raises(RuntimeError, match="would not stop"):
        await Lifecycle(shared)._stop()
    assert responses(runtime) == 50


async def test_queued_records_are_written_when_another_part_fails_to_close(runtime, monkeypatch):
    await runtime.start()
    runtime.store.submit(record([demo_item(0, "last")]))

    async def broken():
        raise OSError("cannot save the minors' state")
    monkeypatch.setattr(runtime.minors, "close", broken)
    with pytest.raises(OSError):
        await runtime.close()
    assert responses(runtime) == 1
