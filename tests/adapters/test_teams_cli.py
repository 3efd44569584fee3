"""``gmcbot serve teams``, ``gmcbot teams manifest`` and ``gmcbot settings channel teams`` as
a user meets them, in real processes: the done-when check of issue 17 (a one-to-one question
to the served bot, its reply posted to a loopback fake Connector under
``/v3/conversations/{id}/activities`` citing guidance in force), the refusals, the package."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx

from bot.corpus import load_corpus
from bot.types import DocStatus
from tests.adapters.teams_world import APP_ID, BOT_ID, PERSONAL_CHAT, POSTER, TENANT
from tests.fakes.teams_connector import FakeConnector

SECRETS = ("GMCBOT_TEAMS_APP_SECRET", "CLIENT_ID", "CLIENT_SECRET", "TENANT_ID")


def environment(data: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in SECRETS and not k.startswith("GMCBOT_TEAMS")}
    return {**base, "GMCBOT_EMBEDDER": "hashing", "GMCBOT_DATA_DIR": str(data), **(extra or {})}


def gmcbot(*args: str, data: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        capture_output=True,
        text=True,
        env=environment(data, env),
        timeout=120,
    )


def test_local_testing_refuses_a_host_that_is_not_loopback(tmp_path: Path) -> None:
    out = gmcbot("serve", "teams", "--insecure-local-testing", "--host", "0.0.0.0", data=tmp_path)
    assert out.returncode != 0
    assert "loopback" in out.stderr and "0.0.0.0" in out.stderr


def test_secure_mode_needs_the_app_id_and_secret(tmp_path: Path) -> None:
    out = gmcbot("serve", "teams", "--port", "0", data=tmp_path)
    assert out.returncode != 0
    assert "GMCBOT_TEAMS_APP_ID and GMCBOT_TEAMS_APP_SECRET not set" in out.stderr
    out = gmcbot("serve", "teams", "--port", "0", data=tmp_path, env={"GMCBOT_TEAMS_APP_ID": APP_ID})
    assert "GMCBOT_TEAMS_APP_SECRET not set" in out.stderr


def test_manifest_command_writes_the_package(tmp_path: Path) -> None:
    target = tmp_path / "out" / "gmcbot.zip"
    out = gmcbot("teams", "manifest", "--out", str(target), data=tmp_path, env={"GMCBOT_TEAMS_APP_ID": APP_ID})
    assert out.returncode == 0, out.stderr
    with zipfile.ZipFile(target) as z:
        manifest = json.loads(z.read("manifest.json"))
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["authorization"]["permissions"]["resourceSpecific"][0]["name"] == "ChannelMessage.Read.Group"
    bad = gmcbot("teams", "manifest", "--app-id", "nope", data=tmp_path)
    assert bad.returncode != 0 and "GUID" in bad.stderr


def test_settings_channel_accepts_teams(tmp_path: Path) -> None:
    channel = "19:ward7channel@thread.tacv2"
    out = gmcbot(
        "settings", "channel", "teams", channel, "--workspace", "team-1", "--monitored", "on", "--json", data=tmp_path
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert (data["platform"], data["channel"], data["monitored"]) == ("teams", channel, True)


def test_served_bot_answers_a_one_to_one_question_through_the_connector(tmp_path: Path) -> None:
    """Issue 17, done when (1): ``gmcbot serve teams --insecure-local-testing`` as a process."""
    with FakeConnector() as connector:
        process = subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", "serve", "teams", "--insecure-local-testing", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment(tmp_path / "data", {"CLIENT_ID": APP_ID, "CLIENT_SECRET": "must-not-be-used"}),
        )
        try:
            assert process.stdout is not None
            url = ""
            deadline = time.monotonic() + 90
            while not url and time.monotonic() < deadline:
                line = process.stdout.readline()
                found = re.search(r"(http://127\.0\.0\.1:\d+)/api/messages", line)
                url = found.group(1) if found else ""
            assert url, "the server never announced its address"
            activity = {
                "type": "message",
                "id": "1733508000999",
                "channelId": "msteams",
                "serviceUrl": connector.url + "/",
                "from": {"id": POSTER, "name": "Dr Alex Lee"},
                "recipient": {"id": BOT_ID, "name": "gmcbot"},
                "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": PERSONAL_CHAT},
                "text": "can I reply to a patient on Twitter?",
            }
            for _ in range(100):
                try:
                    response = httpx.post(f"{url}/api/messages", json=activity, timeout=120)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            assert response.status_code == 200
            [reply] = connector.wait_for(1, timeout=60)
        finally:
            process.terminate()
            process.wait(timeout=20)
    assert reply.path == f"/v3/conversations/{PERSONAL_CHAT}/activities"
    assert "Authorization" not in reply.headers  # no credentials in local testing, even with CLIENT_ID set
    [paths] = [{c.path for c in connector.calls}]
    assert paths == {f"/v3/conversations/{PERSONAL_CHAT}/activities"}
    card = reply.body["attachments"][0]["content"]
    texts = [b.get("text", "").replace("\\", "") for b in card["body"]]
    cited = [t.removeprefix("Cited paragraph: ") for t in texts if t.startswith("Cited paragraph: ")]
    assert cited, texts
    corpus = load_corpus()
    document = corpus.documents[cited[0].split(":", 1)[0]]
    assert document.status is DocStatus.CURRENT  # guidance in force
    assert any(document.title in t for t in texts)
    assert card["actions"][0]["url"] == document.url
