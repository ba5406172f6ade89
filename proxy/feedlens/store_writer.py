"""The item log's one writer thread, fed through a queue the event loop only appends to.

The event loop's share of logging a response is one `SimpleQueue.put` (C, no await, no task):
batching, waiting for the flush interval, building rows and the SQL all happen on this thread.
Calls (`call`) go through the same queue, so a flush, a `run_write` or closing the connection
runs after every record submitted before it, in order.

The backlog (records submitted and not yet written or failed) is bounded: the loop counts what
it put, the thread what it finished, each counter written by one thread only.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from typing import Any


class _Call:
    """A function to run on the writer thread; its result goes back to the loop's future."""

    def __init__(self, fn: Callable[[], Any], loop: asyncio.AbstractEventLoop):
        self.fn, self.loop = fn, loop
        self.future: asyncio.Future = loop.create_future()

    def run(self) -> None:
        try:
            result, error = self.fn(), None
        except BaseException as exc:  # handed to the caller, as run_in_executor would
            result, error = None, exc
        try:
            self.loop.call_soon_threadsafe(_resolve, self.future, result, error)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass


def _resolve(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():  # the caller was cancelled
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


_STOP = object()


class Writer:
    def __init__(self, write_batch: Callable[[list], None], *, name: str, batch_size: int,
                 flush_interval: float, max_queue: int):
        """`write_batch(records)` runs on the thread for each batch and must not raise."""
        self.write_batch = write_batch
        self.name = name
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_queue = max_queue
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        # Wakes the collecting thread early: a call, a stop, or a full batch waiting. Not each
        # record: every wake-up is a GIL hand-over, and on a busy machine the loop thread that
        # gave the GIL away may wait for a CPU before it runs again.
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._put = 0  # records queued (one thread: the loop's)
        self._done = 0  # records written or failed (the writer thread)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def backlog(self) -> int:
        return self._put - self._done

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def put(self, record) -> bool:
        """Queue a record; False when the backlog is full (the caller counts the drop)."""
        if self._put - self._done >= self.max_queue:
            return False
        self._put += 1
        self._queue.put(record)
        if self._put - self._done >= self.batch_size and not self._wake.is_set():
            self._wake.set()
        return True

    async def call(self, fn: Callable[[], Any]) -> Any:
        """fn() on the writer thread after everything queued before; before start() or after
        stop(), on a thread of its own (nothing else writes then)."""
        if not self.running:
            return await asyncio.to_thread(fn)
        call = _Call(fn, asyncio.get_running_loop())
        self._queue.put(call)
        self._wake.set()
        return await call.future

    async def stop(self) -> None:
        """Write what is queued, then end the thread."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._wake.set()
        await asyncio.to_thread(self._thread.join)
        self._thread = None

    # -- the thread --------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch, marker = self._collect()
            if batch:
                try:
                    self.write_batch(batch)
                finally:
                    self._done += len(batch)
            if marker is _STOP:
                return
            if marker is not None:
                marker.run()

    def _collect(self) -> tuple[list, Any]:
        """One batch: up to batch_size records, or what arrived within flush_interval of the
        first; and the call or stop marker that ended it, if one did."""
        batch: list = []
        entry = self._queue.get()  # idle: the first record of a batch wakes the thread
        deadline = time.monotonic() + self.flush_interval
        while True:
            if entry is _STOP or isinstance(entry, _Call):
                return batch, entry
            batch.append(entry)
            if len(batch) >= self.batch_size:
                return batch, None
            entry = self._next(deadline)
            if entry is None:
                return batch, None

    def _next(self, deadline: float) -> Any:
        """The next entry, waiting until `deadline` (None then) unless woken early."""
        while True:
            try:
                return self._queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._wake.wait(remaining)
                self._wake.clear()  # a set after the wait is seen by get_nowait above
