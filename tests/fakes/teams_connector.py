"""A loopback fake of the Bot Connector API (the service behind an activity's ``serviceUrl``)
and of the Bot Framework's OpenID key set, on 127.0.0.1 port 0 (stdlib threads).

Connector: records every request and answers
- ``POST /v3/conversations/{id}/activities`` (``?isTargetedActivity=true`` for targeted
  messages; refused with 403 when ``refuse_targeted`` is set, as a tenant without the preview
  would) with ``{"id": ...}``;
- ``POST /v3/conversations`` (create a one-to-one chat) with ``{"id": "a:chat-N"}``.

Key set: ``GET /v1/.well-known/openidconfiguration`` and ``GET /v1/.well-known/keys``; the
keys are public JWKs of RSA keys made in the test (:class:`TokenMinter`), which signs tokens
like the Bot Framework's (issuer ``https://api.botframework.com``, audience the app id, a
``serviceurl`` claim).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeServer:
    """Records requests; subclasses answer them in :meth:`answer`."""

    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def answer(self, call: Call) -> tuple[int, Any]:
        return 404, {"error": "not found"}

    def start(self) -> str:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                call = Call(method, parts.path, parse_qs(parts.query), dict(self.headers.items()), body)
                with owner._lock:
                    owner.calls.append(call)
                status, payload = owner.answer(call)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PUT(self) -> None:
                self._handle("PUT")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.url

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class FakeConnector(FakeServer):
    refuse_targeted: bool = False
    fail_all: bool = False

    def answer(self, call: Call) -> tuple[int, Any]:
        if self.fail_all:
            return 500, {"error": {"code": "ServiceError", "message": "down"}}
        if call.method == "POST" and call.path == "/v3/conversations":
            return 201, {"id": f"a:chat-{len(self.calls)}"}
        if call.method == "POST" and call.path.startswith("/v3/conversations/") and call.path.endswith("/activities"):
            if call.query.get("isTargetedActivity") == ["true"] and self.refuse_targeted:
                return 403, {"error": {"code": "Forbidden", "message": "targeted messages are not enabled"}}
            return 201, {"id": f"activity-{len(self.calls)}"}
        return 404, {"error": {"code": "NotFound", "message": call.path}}

    def activities(self, conversation: str | None = None) -> list[Call]:
        """Activities posted (to ``conversation`` when given), in order."""
        out = []
        for c in list(self.calls):
            if c.method != "POST" or not c.path.endswith("/activities"):
                continue
            conv = c.path[len("/v3/conversations/") : -len("/activities")]
            if conversation is None or conv == conversation:
                out.append(c)
        return out

    def wait_for(self, count: int, conversation: str | None = None, timeout: float = 10.0) -> list[Call]:
        """Poll until ``count`` activities were posted (to ``conversation``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.activities(conversation)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        return self.activities(conversation)


class TokenMinter:
    """RSA keys made here, and Bot Framework-shaped tokens signed with them."""

    def __init__(self, kid: str = "test-key-1") -> None:
        self.kid = kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        data.update(kid=self.kid, use="sig", alg="RS256")
        return data

    def token(
        self,
        *,
        audience: str,
        service_url: str,
        issuer: str = ISSUER,
        lifetime: float = 600,
        now: float | None = None,
        kid: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
    ) -> str:
        issued = time.time() if now is None else now
        claims = {
            "iss": issuer,
            "aud": audience,
            "serviceurl": service_url,
            "iat": int(issued),
            "nbf": int(issued),
            "exp": int(issued + lifetime),
        }
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})


@dataclass
class FakeKeySet(FakeServer):
    keys: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, call: Call) -> tuple[int, Any]:
        if call.path == "/v1/.well-known/openidconfiguration":
            return 200, {
                "issuer": ISSUER,
                "jwks_uri": f"{self.url}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        if call.path == "/v1/.well-known/keys":
            return 200, {"keys": self.keys}
        return 404, {}
