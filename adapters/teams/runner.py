"""Serve the Teams app: the SDK's FastAPI app (``POST /api/messages``) plus ``/healthz``,
with uvicorn on a socket bound here (so port 0 works and the address can be announced).

``--insecure-local-testing`` refuses any host that is not a loopback address: unauthenticated
activities are for a developer's own machine only.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from adapters.teams.app import build_app
from adapters.teams.checks import check_credentials
from bot import GuidanceBot, Settings


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(128)
    return sock


class TeamsServer:
    """The Teams app served on one socket. ``run`` blocks; ``stop`` may be called from any
    thread. Extra keyword arguments go to :func:`adapters.teams.app.build_app`."""

    def __init__(self, guidance: GuidanceBot, settings: Settings, sock: socket.socket, **app_options: Any) -> None:
        self.guidance = guidance
        self.app, self.turns, self.fastapi = build_app(guidance, settings, **app_options)
        self.sock = sock
        self.server: uvicorn.Server | None = None
        self.ready = False

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    async def serve(self) -> None:
        await self.app.initialize()
        fastapi = self.fastapi

        @fastapi.get("/healthz")
        def healthz() -> dict[str, bool]:
            return {"ok": True, "ready": self.guidance.ready}

        config = uvicorn.Config(
            fastapi, access_log=False, server_header=False, log_level="warning", lifespan="on", log_config=None
        )
        self.server = uvicorn.Server(config)
        self.ready = True
        try:
            await self.server.serve(sockets=[self.sock])
        finally:
            self.turns.close()

    def run(self) -> None:
        asyncio.run(self.serve())

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True


def serve(
    guidance: GuidanceBot,
    settings: Settings,
    *,
    host: str,
    port: int,
    insecure: bool,
    say: Callable[[str], None] = print,
) -> None:
    """``gmcbot serve teams``: check, bind, announce, serve until interrupted."""
    check_credentials(settings, host=host, insecure=insecure)
    sock = bind(host, port)
    server = TeamsServer(guidance, settings, sock, insecure=insecure)
    shown = f"[{host}]" if ":" in host else host
    mode = "UNAUTHENTICATED local testing" if insecure else "JWT-validated"
    say(f"gmcbot: Teams messaging endpoint http://{shown}:{server.port}/api/messages ({mode}); Ctrl+C stops")
    try:
        server.run()
    finally:
        sock.close()
