"""Sign-in through Microsoft Entra ID (OpenID Connect authorization code flow with PKCE).

Configured by ``review_oidc_authority`` (``https://login.microsoftonline.com/TENANT/v2.0``),
``review_oidc_client_id`` and ``GMCBOT_REVIEW_OIDC_CLIENT_SECRET``. The console's role comes
from the ID token's ``roles`` claim (Entra app roles named ``ig-lead``, ``moderator`` or
``auditor``); a user with none of them is refused. The ID token is checked against the
issuer's published keys (signature, issuer, audience, expiry, nonce). State, nonce and the
PKCE verifier travel in a short-lived HttpOnly cookie signed with a key derived from the
pseudonymisation key. Works with any OIDC issuer; the tests use a local fake one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import ConfigError, Settings

ROLE_ORDER = ("ig-lead", "moderator", "auditor")
FLOW_COOKIE = "gmcbot_oidc"
FLOW_SECONDS = 600
NO_ROLE = "Your Microsoft account signed in, but it has no gmcbot review role. Ask the IG lead to assign one."
FAILED = "Sign-in with Microsoft did not complete. Please try again."


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class EntraSignIn:
    def __init__(self, authority: str, client_id: str, client_secret: str, *, timeout: float = 10.0) -> None:
        if not authority.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ConfigError("review_oidc_authority must be an https:// URL")
        if not client_id:
            raise ConfigError("review_oidc_client_id is required with review_oidc_authority")
        self.authority = authority.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self._meta: dict[str, Any] | None = None
        self._jwks: jwt.PyJWKClient | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> EntraSignIn:
        return cls(settings.review_oidc_authority, settings.review_oidc_client_id, settings.review_oidc_client_secret)

    def metadata(self) -> dict[str, Any]:
        if self._meta is None:
            response = httpx.get(f"{self.authority}/.well-known/openid-configuration", timeout=self.timeout)
            response.raise_for_status()
            self._meta = dict(response.json())
            self._jwks = jwt.PyJWKClient(str(self._meta["jwks_uri"]), timeout=int(self.timeout))
        return self._meta

    # -- the flow cookie -------------------------------------------------------------------
    @staticmethod
    def _sign(key: bytes, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
        return body + "." + _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())

    @staticmethod
    def _unsign(key: bytes, value: str) -> dict[str, Any] | None:
        body, _, mac = value.partition(".")
        good = _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())
        if not mac or not hmac.compare_digest(mac, good):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        if not isinstance(payload, dict) or payload.get("exp", 0) < time.time():
            return None
        return payload

    # -- routes ----------------------------------------------------------------------------
    def routes(self, console: Any) -> list[Route]:
        key = console.store.derive("review-oidc-flow")

        def redirect_uri(request: Request) -> str:
            return str(request.url_for("entra_callback"))

        async def start(request: Request) -> Response:
            try:
                meta = await run_in_threadpool(self.metadata)
            except (httpx.HTTPError, ValueError, KeyError):
                return console.page(
                    request,
                    "error.html",
                    None,
                    502,
                    title="Sign-in unavailable",
                    message="The Microsoft sign-in service could not be reached.",
                )
            state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
            challenge = _b64(hashlib.sha256(verifier.encode("ascii")).digest())
            query = urlencode(
                {
                    "client_id": self.client_id,
                    "response_type": "code",
                    "response_mode": "query",
                    "redirect_uri": redirect_uri(request),
                    "scope": "openid profile",
                    "state": state,
                    "nonce": nonce,
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                }
            )
            response = RedirectResponse(f"{meta['authorization_endpoint']}?{query}", status_code=303)
            console.set_cookie(
                request,
                response,
                FLOW_COOKIE,
                self._sign(
                    key, {"state": state, "nonce": nonce, "verifier": verifier, "exp": time.time() + FLOW_SECONDS}
                ),
                FLOW_SECONDS,
            )
            return response

        async def callback(request: Request) -> Response:
            flow = self._unsign(key, request.cookies.get(FLOW_COOKIE, ""))
            code = request.query_params.get("code", "")
            if (
                flow is None
                or not code
                or not secrets.compare_digest(request.query_params.get("state", ""), str(flow["state"]))
            ):
                return console.page(request, "error.html", None, 400, title="Sign-in failed", message=FAILED)
            try:
                claims = await run_in_threadpool(self.redeem, code, redirect_uri(request), flow)
            except (httpx.HTTPError, jwt.PyJWTError, ValueError, KeyError):
                await run_in_threadpool(console.store.log, "", "", "sign-in-failed", "oidc")
                return console.page(request, "error.html", None, 401, title="Sign-in failed", message=FAILED)
            roles = claims.get("roles") or []
            role = next((r for r in ROLE_ORDER if r in roles), None)
            user = str(claims.get("preferred_username") or claims.get("oid") or claims["sub"])[:64]
            identity = f"oidc:{user}"
            if role is None:
                await run_in_threadpool(
                    console.store.log, console.store.pseudonym(identity), "", "sign-in-refused", "oidc: no role"
                )
                return console.page(request, "error.html", None, 403, title="No review role", message=NO_ROLE)
            token = await run_in_threadpool(console.store.start_session, user, role, identity, "oidc")
            await run_in_threadpool(console.store.log, console.store.pseudonym(identity), role, "sign-in", "oidc")
            response = RedirectResponse("/queue", status_code=303)
            console.set_cookie(request, response, "gmcbot_review", token, 60 * 60 * 12)
            response.delete_cookie(FLOW_COOKIE, path="/")
            return response

        return [
            Route("/signin/entra", start, name="entra_start"),
            Route("/signin/entra/callback", callback, name="entra_callback"),
        ]

    def redeem(self, code: str, redirect_uri: str, flow: dict[str, Any]) -> dict[str, Any]:
        """Exchange the code for tokens and return the verified ID token's claims."""
        meta = self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.client_id,
            "code_verifier": str(flow["verifier"]),
        }
        if self.client_secret:
            form["client_secret"] = self.client_secret
        response = httpx.post(str(meta["token_endpoint"]), data=form, timeout=self.timeout)
        response.raise_for_status()
        id_token = str(response.json()["id_token"])
        assert self._jwks is not None
        signing_key = self._jwks.get_signing_key_from_jwt(id_token)
        claims: dict[str, Any] = jwt.decode(
            id_token,
            signing_key.key,
            algorithms=["RS256"],
            audience=self.client_id,
            issuer=str(meta["issuer"]),
            options={"require": ["exp", "iat", "sub"]},
            leeway=60,
        )
        if not hmac.compare_digest(str(claims.get("nonce", "")), str(flow["nonce"])):
            raise ValueError("nonce mismatch")
        return claims
