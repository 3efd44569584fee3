"""Serve the review console with uvicorn on a socket bound here (so port 0 works and the
address can be announced), honouring X-Forwarded-Proto only from trusted proxies."""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn
from starlette.applications import Starlette

from adapters.review_web.app import build_app
from bot import Settings, open_review


def make_app(settings: Settings) -> tuple[Starlette, Callable[[], None]]:
    """The console for ``settings`` and how to close its store."""
    records, store = open_review(settings)
    oidc = None
    if settings.review_oidc_authority:
        from adapters.review_web.oidc import EntraSignIn

        oidc = EntraSignIn.from_settings(settings)
    return build_app(settings, records, store, oidc=oidc), records.close


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def make_server(app: Starlette, forwarded_allow_ips: str = "127.0.0.1") -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        access_log=False,
        server_header=False,
        log_level="warning",
        lifespan="off",
    )
    return uvicorn.Server(config)


def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    forwarded_allow_ips: str = "127.0.0.1",
    say: Callable[[str], None] = print,
) -> None:
    app, close = make_app(settings)
    sock = bind(host, port)
    shown_host = f"[{host}]" if ":" in host else host
    say(f"gmcbot: review console on http://{shown_host}:{sock.getsockname()[1]}/ (Ctrl+C stops)")
    try:
        make_server(app, forwarded_allow_ips).run(sockets=[sock])
    finally:
        sock.close()
        close()
