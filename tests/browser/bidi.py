"""A small synchronous WebDriver BiDi client (aiohttp's websocket on a thread of its own).

Firefox speaks BiDi natively (`--remote-debugging-port`); this is all the Firefox browser tests
need of it: commands with their answers, and the events they subscribe to, kept in a list.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading

import aiohttp


class BidiError(RuntimeError):
    pass


class Bidi:
    def __init__(self, ws_url: str):
        self.events: list[dict] = []
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="bidi")
        self._thread.start()
        self._run(self._connect(ws_url), 30)

    def _run(self, coroutine, timeout: float):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    async def _connect(self, ws_url: str) -> None:
        self._http = aiohttp.ClientSession()
        self._ws = await self._http.ws_connect(ws_url, max_msg_size=0, heartbeat=None)
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self._ws:
            data = json.loads(message.data)
            future = self._waiting.pop(data.get("id"), None)
            if future is not None:
                future.set_result(data)
            elif data.get("type") == "event":
                self.events.append(data)
        for future in self._waiting.values():  # the browser went away
            future.set_exception(BidiError("the connection closed"))

    async def _send(self, method: str, params: dict) -> dict:
        ident = next(self._ids)
        future = self._loop.create_future()
        self._waiting[ident] = future
        await self._ws.send_json({"id": ident, "method": method, "params": params})
        return await future

    def send(self, method: str, params: dict | None = None, timeout: float = 30) -> dict:
        answer = self._run(self._send(method, params or {}), timeout)
        if answer.get("type") == "error":
            raise BidiError(f"{method}: {answer['error']}: {answer.get('message')}")
        return answer["result"]

    def close(self) -> None:
        async def close():
            self._reader.cancel()
            await self._ws.close()
            await self._http.close()
        try:
            self._run(close(), 10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            if not self._thread.is_alive():  # stopped: close it, or its self-pipe leaks until a GC
                self._loop.close()  # warns (unclosed event loop) inside some later test


def value(remote: dict):
    """A BiDi remote value as plain Python (nodes stay as their serialised dicts)."""
    kind = remote.get("type")
    if kind in ("undefined", "null"):
        return None
    if kind in ("string", "number", "boolean"):
        return remote["value"]
    if kind in ("array", "set"):
        return [value(v) for v in remote.get("value", [])]
    if kind in ("object", "map"):
        return {(k if isinstance(k, str) else value(k)): value(v) for k, v in remote.get("value", [])}
    return remote
