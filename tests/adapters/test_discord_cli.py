"""``gmcbot serve discord`` as a user meets it: the invite URL, clear errors about the token."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import discord
import pytest

from adapters.discord.runner import DEFAULT_API_BASE, DiscordAdapter, client_id_from_token, invite_permissions
from bot.config import Settings
from bot.errors import ConfigError
from bot.service import GuidanceBot
from index.embedders import HashingEmbedder
from tests.fakes.discord_api import FakeDiscordAPI
from tests.fakes.discord_payloads import user

# The application id 123456789012345678, base64-encoded, is a bot token's first segment.
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.not-a-real-secret"
LEAST = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 38)  # view, send, embed, history, threads


def gmcbot(*args: str, data: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    full_env = {**base, "GMCBOT_EMBEDDER": "hashing", "GMCBOT_DATA_DIR": str(data), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args], capture_output=True, text=True, env=full_env, timeout=120
    )


def query(url: str) -> dict[str, list[str]]:
    parsed = urlparse(url)
    assert parsed.scheme == "https" and parsed.netloc == "discord.com" and parsed.path == "/oauth2/authorize"
    return parse_qs(parsed.query)


def test_invite_url_asks_for_the_least_permissions(tmp_path: Path) -> None:
    out = gmcbot("serve", "discord", "--invite-url", "--client-id", "42", data=tmp_path)
    assert out.returncode == 0, out.stderr
    q = query(out.stdout.strip())
    assert q["client_id"] == ["42"]
    assert q["scope"] == ["bot applications.commands"]
    assert int(q["permissions"][0]) == LEAST


def test_invite_url_reads_the_client_id_from_the_token_and_adds_manage_messages_for_deletes(tmp_path: Path) -> None:
    out = gmcbot(
        "serve", "discord", "--invite-url", data=tmp_path, env={"DISCORD_TOKEN": TOKEN, "GMCBOT_DELETE_FLAGGED": "true"}
    )
    assert out.returncode == 0, out.stderr
    q = query(out.stdout.strip())
    assert q["client_id"] == ["123456789012345678"]
    assert int(q["permissions"][0]) == LEAST | (1 << 13)
    assert TOKEN not in out.stdout + out.stderr


def test_invite_url_without_an_id_is_a_clear_error(tmp_path: Path) -> None:
    out = gmcbot("serve", "discord", "--invite-url", data=tmp_path)
    assert out.returncode == 2
    assert "--client-id" in out.stderr and "Traceback" not in out.stderr


def test_serve_without_a_token_is_a_clear_error(tmp_path: Path) -> None:
    out = gmcbot("serve", "discord", data=tmp_path)
    assert out.returncode == 2
    assert "DISCORD_TOKEN is not set" in out.stderr and "Traceback" not in out.stderr


def test_client_id_from_token_and_permissions() -> None:
    assert client_id_from_token(TOKEN) == "123456789012345678"
    assert client_id_from_token("garbage") == ""
    assert client_id_from_token("") == ""
    assert invite_permissions().value == LEAST
    assert not invite_permissions().manage_messages and invite_permissions(True).manage_messages


def test_a_rejected_token_stops_with_a_clear_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The real serve path: warm up the core, log in over HTTP, get 401, say what to do."""
    fake = FakeDiscordAPI(bot_user=user(1, "gmcbot", bot=True), application_id=1)
    fake.fail_next("GET", r"/users/@me$", 401, {"message": "401: Unauthorized", "code": 0})
    settings = Settings(data_dir=tmp_path, discord_token=TOKEN, discord_api_url=fake.start())
    bot = GuidanceBot(settings, embedder=HashingEmbedder())
    try:
        with caplog.at_level(logging.DEBUG), pytest.raises(ConfigError, match="rejected the token"):
            DiscordAdapter(sync_commands=False).run(bot)
    finally:
        discord.http.Route.BASE = DEFAULT_API_BASE
        fake.stop()
    assert [c.status for c in fake.find("GET", "/users/@me")] == [401]
    assert bot.ready  # the core was warmed before connecting
    assert logging.getLogger("discord").getEffectiveLevel() >= logging.INFO  # payloads are never logged
    assert TOKEN not in caplog.text


def test_sigterm_closes_the_gateway_connection_and_returns(tmp_path: Path) -> None:
    """systemd stops the bot with SIGTERM: ``run`` closes the connection and returns
    (so the process exits 0 and the store flushes) instead of dying mid-write."""
    import signal
    import threading
    import time

    from tests.fakes.discord_driver import point_gateway_at, restore_gateway

    fake = FakeDiscordAPI(bot_user=user(1, "gmcbot", bot=True), application_id=1)
    url = fake.start()
    previous_gateway = point_gateway_at(url.replace("http://", "ws://").replace("/api/v10", "/gateway-ws"))
    settings = Settings(data_dir=tmp_path, discord_token=TOKEN, discord_api_url=url)
    bot = GuidanceBot(settings, embedder=HashingEmbedder())
    before = signal.getsignal(signal.SIGTERM)

    def stop_when_connecting() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not fake.find("GET", "/gateway-ws"):
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    stopper = threading.Thread(target=stop_when_connecting, daemon=True)
    stopper.start()
    try:
        DiscordAdapter(sync_commands=False).run(bot)  # returns on SIGTERM
    finally:
        restore_gateway(previous_gateway)
        discord.http.Route.BASE = DEFAULT_API_BASE
        fake.stop()
    assert fake.find("GET", "/gateway-ws")
    assert signal.getsignal(signal.SIGTERM) == before  # our handler is removed again
