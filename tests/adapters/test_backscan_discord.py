"""``gmcbot scan discord``: a back-scan of a channel's history through the fake REST API
(``GET /channels/{id}/messages`` with ``after`` paging, a 429, the fake CDN), the real
discord.py HTTP client, the real CLI, screening and a SQLite store (issue 19)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.backscan import SCAN_RULE
from bot.config import load_settings
from bot.service import GuidanceBot
from bot.store import open_records
from tests.adapters.backscan_world import Run, harmless, marker, planted, run_cli
from tests.db.test_db_no_patient_data import stored_text
from tests.fakes import discord_payloads as p
from tests.fakes.discord_api import RATE_LIMIT_HEADERS, RATE_LIMITED, FakeDiscordAPI
from tests.privacy import leaks

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.fake.token"
GUILD = 811_000_000_000_000_001
CHANNEL = 811_000_000_000_000_002
TOTAL = 1000
PLANTED_AT = range(11, TOTAL, 37)
NOW = time.time()
SINCE = NOW - 3 * 86400
UNTIL = NOW - 60


def snowflake_at(seconds: float, n: int) -> int:
    return ((int(seconds * 1000) - p.DISCORD_EPOCH_MS) << 22) | n


def iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(seconds))


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeDiscordAPI, dict[int, Any], Path]]:
    poster = p.user(811_000_000_000_000_100, "dr.lee")
    other_bot = p.user(811_000_000_000_000_101, "otherbot", bot=True)
    fake = FakeDiscordAPI(bot_user=p.user(123456789012345678, "gmcbot", bot=True), application_id=123456789012345678)
    previous = discord.http.Route.BASE
    base = fake.start()
    risks = iter(planted(len(PLANTED_AT) + 2))
    messages: list[dict[str, Any]] = []
    risky: dict[int, Any] = {}
    step = (UNTIL - SINCE - 120) / TOTAL
    for i in range(TOTAL):
        mid = snowflake_at(SINCE + 60 + i * step, i)
        m = p.message(mid, CHANNEL, poster, harmless(i), guild_id=GUILD)
        if i in PLANTED_AT:
            g = next(risks)
            m["content"] = g.text
            risky[mid] = g
        messages.append(m)
    # A forward (the forwarded message's text in message_snapshots), and a message.txt attachment.
    g = next(risks)
    fwd = messages[500]
    fwd.update(content="", message_reference={"type": 1, "message_id": "1", "channel_id": "2", "guild_id": str(GUILD)})
    fwd["message_snapshots"] = [{"message": p.snapshot(g.text)}]
    risky[int(fwd["id"])] = g
    g = next(risks)
    body = ("Handover notes\n" + g.text + "\n").encode()
    url = fake.add_file("message.txt", body)
    messages[600].update(content="", attachments=[p.file_attachment("message.txt", url, len(body), "text/plain")])
    risky[int(messages[600]["id"])] = g
    messages[700]["author"] = other_bot
    before = p.message(snowflake_at(SINCE - 3600, 1), CHANNEL, poster, planted(1)[0].text, guild_id=GUILD)
    fake.add_history(CHANNEL, GUILD, [before, *messages])
    monkeypatch.setenv("GMCBOT_EMBEDDER", "hashing")
    monkeypatch.setenv("GMCBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("GMCBOT_DISCORD_API_URL", base)
    try:
        yield fake, risky, tmp_path
    finally:
        discord.http.Route.BASE = previous
        fake.stop()


def scan(capsys: pytest.CaptureFixture[str], *more: str) -> Run:
    return run_cli(capsys, "scan", "discord", str(CHANNEL), "--since", iso(SINCE), "--until", iso(UNTIL), *more)


def flags(data: Path) -> list[Any]:
    records = open_records(load_settings(None, data_dir=data, embedder="hashing"))
    try:
        return list(records.flags())
    finally:
        records.close()


def test_a_back_scan_of_1000_discord_messages_finds_every_planted_risk_and_keeps_nothing_else(
    world: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, risky, data = world
    refused = scan(capsys)
    assert refused.code == 2 and "not monitored" in refused.err and f"--workspace {GUILD}" in refused.err
    on = run_cli(capsys, "settings", "channel", "discord", str(CHANNEL), "--workspace", str(GUILD), "--monitored", "on")
    assert on.code == 0, on.err
    fake.fail_next("GET", rf"/channels/{CHANNEL}/messages$", 429, RATE_LIMITED, RATE_LIMIT_HEADERS)
    run = scan(capsys, "--json")
    assert run.code == 0, run.err
    counts = json.loads(run.out)
    assert counts["read"] == TOTAL and counts["screened"] == TOTAL - 1  # the other bot's post is not screened
    found = flags(data)
    expected = {f"https://discord.com/channels/{GUILD}/{CHANNEL}/{mid}" for mid in risky}
    assert {f.message_ref for f in found} == expected, "every planted risk is flagged, and nothing else"
    assert all(SCAN_RULE in f.rule_ids and f.workspace == str(GUILD) for f in found)
    pages = fake.find("GET", rf"/channels/{CHANNEL}/messages$")
    assert [c.status for c in pages][:2] == [429, 200] and len(pages) >= 1 + TOTAL // 100
    assert all("after" in c.query for c in pages), "read oldest first with after paging"
    assert len(fake.find("GET", r"^/attachments/")) == 1, "the text attachment was read (in memory)"
    assert not fake.find("POST"), "a back-scan messages nobody"

    stored = stored_text(f"sqlite:///{data / 'gmcbot.sqlite3'}")
    checkpoint = "".join(f.read_text() for f in (data / "scans").glob("*.json"))
    for where, text in (("database", stored), ("output and logs", run.everything), ("checkpoint", checkpoint)):
        for g in risky.values():
            assert not leaks(g.needles, text), f"an identifier reached the {where}"
        kept = [i for i in range(TOTAL) if marker(i) in text]
        assert not kept, f"harmless messages {kept[:5]} reached the {where}"


def test_an_interrupted_discord_scan_carries_on_after_its_last_whole_batch(
    world: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, risky, data = world
    on = run_cli(capsys, "settings", "channel", "discord", str(CHANNEL), "--workspace", str(GUILD), "--monitored", "on")
    assert on.code == 0, on.err
    screened: list[int] = []
    real = GuidanceBot.screen_many

    def counting(self: GuidanceBot, messages: Any, sensitivity: str = "normal") -> Any:
        if len(screened) == 4 and not stopped:
            stopped.append(True)
            raise KeyboardInterrupt
        screened.append(len(messages))
        return real(self, messages, sensitivity)

    stopped: list[bool] = []
    monkeypatch.setattr(GuidanceBot, "screen_many", counting)
    first = scan(capsys)
    assert first.code == 130 and "run the same command again" in first.err
    assert 0 < sum(screened) < TOTAL - 1
    second = scan(capsys, "--json")
    assert second.code == 0, second.err
    assert json.loads(second.out)["resumed"] and sum(screened) == TOTAL - 1, "each message screened once"
    assert len(flags(data)) == len(risky)
    resumed_from = [c.query.get("after") for c in fake.find("GET", rf"/channels/{CHANNEL}/messages$")]
    assert len(set(resumed_from)) == len(resumed_from), "the second run starts after the checkpoint, not again"


def test_an_unknown_channel_or_token_is_a_clear_error(
    world: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    unknown = run_cli(capsys, "scan", "discord", "42", "--since", "1d")
    assert unknown.code == 1 and "Read Message History" in unknown.err and "Traceback" not in unknown.err
    monkeypatch.delenv("DISCORD_TOKEN")
    missing = run_cli(capsys, "scan", "discord", str(CHANNEL), "--since", "1d")
    assert missing.code == 2 and "DISCORD_TOKEN is not set" in missing.err
