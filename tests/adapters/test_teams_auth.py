"""JWT validation of inbound activities (local testing off): the SDK's validator pointed at a
local key set on port 0. A token signed by the test's key, for the app id and the activity's
service URL, is accepted; forged, expired, wrong-audience, wrong-issuer, wrong-service-URL,
unsigned and missing tokens are refused with 401 and the bot sends nothing."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.adapters.teams_world import PERSONAL_CHAT, TeamsWorld, teams_world

QUESTION = "can I reply to a patient on Twitter?"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamsWorld]:
    with teams_world(tmp_path_factory.mktemp("teams-auth"), secure=True) as w:
        yield w


def unsigned(w: TeamsWorld) -> str:
    def part(data: Mapping[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"iss": "https://api.botframework.com", "aud": w.server.app.id, "exp": now + 600, "iat": now}
    claims["serviceurl"] = w.connector.url + "/"
    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'test-key-1'})}.{part(claims)}."


def test_a_signed_activity_is_accepted_and_answered_with_the_bots_token(world: TeamsWorld) -> None:
    before = len(world.connector.activities())
    response = world.post(world.personal(QUESTION), token=world.bearer())
    assert response.status_code == 200
    calls = world.connector.wait_for(before + 1)
    reply = calls[-1]
    assert reply.path == f"/v3/conversations/{PERSONAL_CHAT}/activities"
    assert reply.headers.get("Authorization", "").startswith("Bearer ey")  # the bot's outbound token
    assert world.keys is not None and any(c.path == "/v1/.well-known/keys" for c in world.keys.calls)


@pytest.mark.parametrize(
    "case",
    ["missing", "not bearer", "forged", "expired", "wrong audience", "wrong issuer", "wrong service url", "unsigned"],
)
def test_bad_tokens_are_refused_and_nothing_is_sent(world: TeamsWorld, case: str) -> None:
    before = len(world.connector.calls)
    activity = world.personal(QUESTION)
    if case == "missing":
        response = world.post(activity)
    elif case == "not bearer":
        response = world.post(activity, authorization="Basic dXNlcjpwYXNz")
    elif case == "forged":
        other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        assert world.minter is not None
        response = world.post(
            activity,
            token=world.minter.token(
                audience="11111111-2222-3333-4444-555555555555", service_url=world.connector.url + "/", key=other_key
            ),
        )
    elif case == "expired":
        response = world.post(activity, token=world.bearer(now=time.time() - 7200, lifetime=600))
    elif case == "wrong audience":
        response = world.post(activity, token=world.bearer(audience="99999999-2222-3333-4444-555555555555"))
    elif case == "wrong issuer":
        response = world.post(activity, token=world.bearer(issuer="https://evil.example"))
    elif case == "wrong service url":
        response = world.post(activity, token=world.bearer(service_url="https://evil.example/"))
    else:
        response = world.post(activity, token=unsigned(world))
    assert response.status_code == 401
    time.sleep(0.2)
    assert len(world.connector.calls) == before


def test_a_token_for_another_service_url_cannot_redirect_replies(world: TeamsWorld) -> None:
    """The token's serviceurl claim must match the activity's serviceUrl, so a captured token
    cannot send the bot's replies (and its outbound token) elsewhere."""
    activity = world.personal(QUESTION)
    activity["serviceUrl"] = "https://evil.example/"
    assert world.post(activity, token=world.bearer()).status_code == 401


def test_secure_mode_without_credentials_refuses_everything(tmp_path: Path) -> None:
    """The SDK with no app id and local testing off rejects every activity."""
    from adapters.teams.runner import TeamsServer, bind
    from bot.config import Settings
    from bot.service import GuidanceBot
    from index.embedders import HashingEmbedder

    settings = Settings(data_dir=tmp_path / "data")
    sock = bind("127.0.0.1", 0)
    server = TeamsServer(GuidanceBot(settings, embedder=HashingEmbedder()), settings, sock)
    import threading

    import httpx

    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.ready and time.monotonic() < deadline:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{server.port}/api/messages"
        for _ in range(100):
            try:
                response = httpx.post(url, json={"type": "message", "text": QUESTION}, timeout=10)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert response.status_code == 401
    finally:
        server.stop()
        thread.join(timeout=10)
        sock.close()
