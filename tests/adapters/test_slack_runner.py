"""Running the Slack app: credentials, start-up errors, the HTTP server, quiet SDK loggers,
and ``gmcbot serve slack``."""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from adapters.cli import main
from adapters.slack.runner import EVENTS_PATH, MAX_BODY_BYTES, SlackAdapter, check_credentials, connect_app
from bot.config import Settings
from bot.errors import ConfigError, GmcbotError
from bot.service import GuidanceBot
from bot.types import ChannelSettings, Platform
from index.embedders import HashingEmbedder
from tests.adapters.slack_harness import SlackHarness, bot_settings
from tests.fakes.slack_api import TEAM_ID, FakeSlackApi

FLAGGED = "Patient in resus is John Carter, NHS no 943 476 5919"


def test_missing_credentials_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is not set"):
        check_credentials(Settings(), http=True)
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is not set"):
        check_credentials(Settings(slack_bot_token="xoxb-1"), http=True)
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        check_credentials(Settings(slack_bot_token="xoxb-1", slack_app_token="xoxb-wrong"), http=False)
    check_credentials(Settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1"), http=False)
    check_credentials(Settings(slack_bot_token="xoxb-1", slack_signing_secret="s"), http=True)


def test_rejected_token_and_unreachable_api_are_clear_errors(fake_slack: FakeSlackApi, slack_data_dir: Path) -> None:
    settings = bot_settings(fake_slack, slack_data_dir, token="xoxb-invalid")
    bot = GuidanceBot(settings, embedder=HashingEmbedder())
    with pytest.raises(GmcbotError, match="Slack rejected SLACK_BOT_TOKEN"):
        connect_app(bot, settings, socket_mode=False)
    nowhere = settings.replace(slack_bot_token="xoxb-test", slack_api_url="http://127.0.0.1:9/api/")
    with pytest.raises(GmcbotError, match="cannot reach the Slack API at http://127.0.0.1:9/api/"):
        connect_app(bot, nowhere, socket_mode=False)


def test_credentials_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import load_settings

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-env")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret-env")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-env")
    monkeypatch.setenv("GMCBOT_SLACK_API_URL", "https://slack-gov.com/api")
    settings = load_settings()
    assert (settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token) == (
        "xoxb-env",
        "secret-env",
        "xapp-env",
    )
    from adapters.slack.client import make_client

    assert make_client(settings).base_url == "https://slack-gov.com/api/"
    assert "xoxb-env" not in repr(settings) and "secret-env" not in repr(settings)


@contextmanager
def running_adapter(settings: Settings, bot: GuidanceBot) -> Iterator[str]:
    """``SlackAdapter(http=True)`` running in a thread; yields its events URL."""
    ready: list[str] = []
    failed: list[BaseException] = []
    stop = threading.Event()
    adapter = SlackAdapter(settings, http=True, host="127.0.0.1", port=0, on_ready=ready.append, stop=stop)

    def run() -> None:
        try:
            adapter.run(bot)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            failed.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not ready and not failed and time.monotonic() < deadline:
        time.sleep(0.02)
    if failed:
        raise failed[0]
    assert ready, "the adapter did not start"
    try:
        yield ready[0]
    finally:
        stop.set()
        thread.join(10)
        assert not thread.is_alive()


def oversized_post_status(url: str) -> int:
    """Status for a POST that declares a body over the limit. Only the headers are sent:
    the server answers before reading a body, so sending one would race its close (the
    client could see a broken pipe instead of the 413)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    try:
        conn.putrequest("POST", parts.path)
        conn.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
        conn.endheaders()
        return conn.getresponse().status
    finally:
        conn.close()


def test_http_adapter_serves_health_refuses_big_bodies_and_keeps_sdk_loggers_quiet(
    fake_slack: FakeSlackApi, slack_data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    names = ("slack_bolt", "slack_sdk")
    before = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)  # the root at DEBUG too, as with `gmcbot -v`
    try:
        settings = bot_settings(fake_slack, slack_data_dir)
        bot = GuidanceBot(settings, embedder=HashingEmbedder())
        bot.update_channel_settings(
            ChannelSettings(Platform.SLACK, TEAM_ID, "C0WARD", monitored=True, moderators_channel="C0MODS")
        )
        with running_adapter(settings, bot) as url:
            assert url.startswith("http://127.0.0.1:") and url.endswith(EVENTS_PATH)
            for n in (*names, "slack_bolt.App", "slack_sdk.web.base_client"):
                assert logging.getLogger(n).getEffectiveLevel() >= logging.INFO, n
            base = url[: -len(EVENTS_PATH)]
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                assert json.loads(response.read()) == {"ok": True, "ready": True}
            assert oversized_post_status(url) == 413
            slack = SlackHarness(fake_slack, bot, url)
            slack.event(slack.message(FLAGGED))
            slack.command("can I accept a friend request from a patient?")
            fake_slack.wait_for("response_url")
            fake_slack.wait_for("chat.postEphemeral")
            fake_slack.settle()
    finally:
        for n, level in before.items():
            logging.getLogger(n).setLevel(level)
    assert caplog.records, "nothing was logged at all"
    for needle in ("943 476 5919", "John Carter", "friend request"):
        assert needle not in caplog.text


def test_cli_refuses_missing_tokens_and_bad_options(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["serve", "slack"]) == 2
    assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().err
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    assert main(["serve", "slack", "--http"]) == 2
    assert "SLACK_SIGNING_SECRET is not set" in capsys.readouterr().err
    assert main(["serve", "slack"]) == 2
    assert "SLACK_APP_TOKEN" in capsys.readouterr().err
    assert main(["serve", "slack", "--port", "8080"]) == 2
    assert "add --http" in capsys.readouterr().err
    assert main(["serve", "slack", "--http", "--port", "70000"]) == 2
    assert "between 0 and 65535" in capsys.readouterr().err


def test_manifest_asks_for_the_least_scopes_and_the_events_the_app_handles() -> None:
    yaml = pytest.importorskip("yaml")
    root = Path(__file__).resolve().parents[2]
    manifest = yaml.safe_load((root / "adapters" / "slack" / "manifest.yaml").read_text(encoding="utf-8"))
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert sorted(scopes) == sorted(
        [
            "commands",
            "chat:write",
            "app_mentions:read",
            "im:history",
            "channels:history",
            "groups:history",
            "users:read",
            "files:read",
        ]
    )
    guide = (root / "docs" / "slack.md").read_text(encoding="utf-8")
    assert all(f"| `{scope}` |" in guide for scope in scopes)
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_mention",
        "message.channels",
        "message.groups",
        "message.im",
    }
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/gmc"]
    assert manifest["features"]["slash_commands"][0]["should_escape"] is True  # channels arrive as <#C…>
    assert manifest["settings"]["socket_mode_enabled"] is True and manifest["settings"]["interactivity"]["is_enabled"]
