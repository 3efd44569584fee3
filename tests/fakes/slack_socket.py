"""A local fake of Slack's Socket Mode WebSocket server (aiohttp, 127.0.0.1, port 0).

Give ``FakeSlackApi(socket_mode_url=fake_ws.url)`` so ``apps.connections.open`` hands it
out. On connection the fake says ``hello``; :meth:`FakeSocketMode.send` pushes an
envelope to every connected client and returns its ``envelope_id``; :meth:`wait_ack`
waits for the client's acknowledgement of it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from typing import Any

from aiohttp import WSMsgType, web


class FakeSocketMode:
    def __init__(self) -> None:
        self.acks: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._sockets: set[web.WebSocketResponse] = set()
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-socket-mode", daemon=True)

    # -- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> FakeSocketMode:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/link", self._connection)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def _stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/link"

    @property
    def connected(self) -> int:
        return len(self._sockets)

    # -- the connection ------------------------------------------------------------------
    async def _connection(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.add(ws)
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "connection_info": {"app_id": "A0GMCBOT"},
                    "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                }
            )
        )
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    data = json.loads(msg.data)
                    if isinstance(data, dict) and "envelope_id" in data:
                        with self._cond:
                            self.acks[data["envelope_id"]] = data
                            self._cond.notify_all()
        finally:
            self._sockets.discard(ws)
        return ws

    # -- driving ----------------------------------------------------------------------------
    def wait_connected(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not self._sockets:
            if time.monotonic() > deadline:
                raise AssertionError("no Socket Mode client connected")
            time.sleep(0.02)

    def send(self, kind: str, payload: dict[str, Any], accepts_response_payload: bool = False) -> str:
        """Push an envelope (``events_api``, ``slash_commands`` or ``interactive``)."""
        envelope_id = f"env-{next(self._ids)}"
        message = json.dumps(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": accepts_response_payload,
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )

        async def push() -> None:
            for ws in list(self._sockets):
                await ws.send_str(message)

        asyncio.run_coroutine_threadsafe(push(), self._loop).result(10)
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while envelope_id not in self.acks:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"envelope {envelope_id} was not acknowledged")
                self._cond.wait(left)
            return self.acks[envelope_id]
