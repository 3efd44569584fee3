"""A local OpenID Connect issuer standing in for Microsoft Entra ID in tests: discovery,
an authorize endpoint that signs in ``user`` at once (no page), a token endpoint checking
the code, PKCE verifier and client secret, and its signing keys. Stdlib server on
127.0.0.1 port 0; ID tokens are RS256 JWTs made with PyJWT."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "00000000-gmcb-0000-0000-review000001"
CLIENT_SECRET = "fake-client-secret"
PREFIX = "/tenant/v2.0"


class FakeIssuer:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.user: dict[str, Any] = {
            "sub": "sub-1",
            "oid": "oid-1",
            "preferred_username": "jo.bloggs@trust.example",
            "name": "Jo Bloggs",
            "roles": ["moderator"],
        }
        self.tamper: dict[str, Any] = {}  # claims to override in the next ID token
        self.codes: dict[str, dict[str, str]] = {}
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                path = url.path.removeprefix(PREFIX)
                if path == "/.well-known/openid-configuration":
                    self._json(
                        200,
                        {
                            "issuer": issuer.url,
                            "authorization_endpoint": issuer.url + "/authorize",
                            "token_endpoint": issuer.url + "/token",
                            "jwks_uri": issuer.url + "/keys",
                            "id_token_signing_alg_values_supported": ["RS256"],
                        },
                    )
                elif path == "/keys":
                    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(issuer.key.public_key()))
                    self._json(200, {"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})
                elif path == "/authorize":
                    q = {k: v[0] for k, v in parse_qs(url.query).items()}
                    code = secrets.token_urlsafe(16)
                    issuer.codes[code] = q
                    self.send_response(302)
                    self.send_header(
                        "Location", q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
                    )
                    self.end_headers()
                else:
                    self._json(404, {})

            def do_POST(self) -> None:
                form = {
                    k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()
                }
                asked = issuer.codes.pop(form.get("code", ""), None)
                challenge = (
                    base64.urlsafe_b64encode(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
                    .rstrip(b"=")
                    .decode()
                )
                if (
                    asked is None
                    or form.get("client_secret") != CLIENT_SECRET
                    or challenge != asked.get("code_challenge")
                    or form.get("redirect_uri") != asked["redirect_uri"]
                ):
                    self._json(400, {"error": "invalid_grant"})
                    return
                now = int(time.time())
                claims = {
                    "iss": issuer.url,
                    "aud": asked["client_id"],
                    "iat": now,
                    "nbf": now,
                    "exp": now + 3600,
                    "nonce": asked["nonce"],
                    **issuer.user,
                    **issuer.tamper,
                }
                token = jwt.encode(claims, issuer.key, algorithm="RS256", headers={"kid": "k1"})
                self._json(200, {"token_type": "Bearer", "id_token": token, "access_token": "unused"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{PREFIX}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeIssuer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
