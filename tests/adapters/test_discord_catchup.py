"""Discord catch-up (issue 16): what monitored channels got while the bot was away is
screened once after a restart or a gateway gap. The real client and cog against the fake
Discord API (port 0), its channel history served over REST; "down" is the time between two
worlds sharing one data folder (and, where said, one SQLite store)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.discord.catchup import snowflake_at
from bot import wording
from bot.config import Settings
from bot.records import MemoryRecords
from bot.scan_state import LastSeen, last_seen_path
from bot.store import SqlRecords, open_records
from tests.adapters.discord_world import GUILD_ID, MODS, WARD, World, discord_world
from tests.fakes import discord_payloads as p
from tests.privacy import log_text

pytestmark = pytest.mark.asyncio
FLAGGED = "Patient in resus is John Carter, NHS no 943 476 5919"
ORDINARY = "Handover is at 8pm tonight in the seminar room, bring your bleep."


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlRecords]:
    records = open_records(Settings(data_dir=tmp_path / "data"))
    yield records
    records.close()


def posted(w: World, text: str, message_id: int | None = None, author: p.Json | None = None) -> p.Json:
    """A message in the ward channel as Discord keeps it (``message_id`` defaults to now)."""
    author = author or w.poster
    return p.message(message_id or p.snowflake(), WARD, author, text, guild_id=GUILD_ID, author_member=p.member(author))


def at(seconds_ago: float, n: int = 1) -> int:
    """A snowflake id of a message posted ``seconds_ago``."""
    return snowflake_at(time.time() - seconds_ago) | n


def notices(w: World) -> list[p.Json]:
    return w.fake.dm_posts(w.poster["id"])


def history_reads(w: World) -> list[dict[str, str]]:
    return [c.query for c in w.fake.find("GET", rf"/channels/{WARD}/messages$")]


def position(tmp_path: Path) -> int:
    """The ward channel's catch-up position as a restarted bot would read it (-1: none)."""
    found = LastSeen(last_seen_path(tmp_path / "data", "discord")).get(str(WARD))
    return -1 if found is None else found


async def test_messages_posted_while_down_are_screened_once_after_a_start(
    tmp_path: Path, store: SqlRecords, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with discord_world(tmp_path, records=store) as w:
        w.monitor(moderators=MODS)
        old = [posted(w, FLAGGED, at(600, n)) for n in range(3)]  # before the bot ever saw the channel
        w.fake.add_history(WARD, GUILD_ID, old)
        await w.driver.ready()
        assert notices(w) == [] and history_reads(w) == []  # never seen: starts from now, reads nothing
    first = position(tmp_path)
    assert first > max(int(m["id"]) for m in old)

    async with discord_world(tmp_path, records=store) as w:  # the bot was down meanwhile
        down = [posted(w, FLAGGED), posted(w, ORDINARY), posted(w, FLAGGED)]
        w.fake.add_history(WARD, GUILD_ID, old + down)
        await w.driver.ready()
        dms = notices(w)
        assert len(dms) == 2
        assert all(d["content"].startswith(wording.EARLIER_MESSAGE) for d in dms)
        assert len(w.fake.channel_posts(MODS)) == 2
        assert [c["after"] for c in history_reads(w)][0] == str(first)
    assert len(store.flags()) == 2
    assert position(tmp_path) >= int(down[-1]["id"])
    lines = [r.getMessage() for r in caplog.records if "catch-up channel=" in r.getMessage()]
    assert "first_seen=True" in lines[0]
    assert "read=3 screened=3 flagged=2 duplicate=0 first_seen=False" in lines[1]
    assert "John Carter" not in log_text(caplog.records)

    for _ in range(2):  # restarted twice: nothing repeated, even with every claim forgotten
        async with discord_world(tmp_path, records=MemoryRecords()) as w:
            w.monitor(moderators=MODS)
            w.fake.add_history(WARD, GUILD_ID, old + down)
            await w.driver.ready()
            assert notices(w) == [] and w.fake.channel_posts(MODS) == []
            assert w.records.flags == {}


async def test_a_message_seen_live_is_not_screened_again_by_the_catch_up(tmp_path: Path, store: SqlRecords) -> None:
    async with discord_world(tmp_path, records=store) as w:
        w.monitor()
        w.fake.add_history(WARD, GUILD_ID, [])
        await w.driver.ready()

    async with discord_world(tmp_path, records=store) as w:
        missed, live = posted(w, FLAGGED), posted(w, FLAGGED)
        w.fake.add_history(WARD, GUILD_ID, [missed, live])
        await w.driver.message_create(live)  # arrives live before the catch-up has run
        assert len(notices(w)) == 1 and not notices(w)[0]["content"].startswith(wording.EARLIER_MESSAGE)
        # the live message's position is held until the catch-up ends, so the one before it is not skipped
        assert 0 < position(tmp_path) < int(missed["id"])
        await w.driver.ready()
        assert len(notices(w)) == 2  # the missed one; the live one was claimed already
        assert len(store.flags()) == 2

        after = posted(w, FLAGGED)  # after the catch-up: live, and its position written at once
        w.fake.add_history(WARD, GUILD_ID, [after])
        await w.driver.message_create(after)
        assert position(tmp_path) == int(after["id"])
        reads = len(history_reads(w))
        await w.driver.resumed()  # a gateway gap that resumed: reads after the last message, finds nothing
        assert [q["after"] for q in history_reads(w)[reads:]] == [after["id"]]
        assert len(notices(w)) == 3 and len(store.flags()) == 3


async def test_the_count_bound_is_respected_and_the_rest_of_the_gap_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with discord_world(tmp_path, discord_catchup_max_messages=5) as w:
        w.monitor()
        w.fake.add_history(WARD, GUILD_ID, [])
        await w.driver.ready()
    async with discord_world(tmp_path, discord_catchup_max_messages=5) as w:
        w.monitor()
        down = [posted(w, FLAGGED) for _ in range(8)]
        w.fake.add_history(WARD, GUILD_ID, down)
        await w.driver.ready()
        assert len(notices(w)) == 5
        assert len(w.records.flags) == 5
        assert all(q["limit"] == "6" for q in history_reads(w))
    assert position(tmp_path) > int(down[-1]["id"])
    assert any("limit_reached=True" in r.getMessage() for r in caplog.records)
    async with discord_world(tmp_path, discord_catchup_max_messages=5) as w:
        w.monitor()
        w.fake.add_history(WARD, GUILD_ID, down)
        await w.driver.ready()
        assert notices(w) == []


async def test_the_age_bound_is_respected(tmp_path: Path) -> None:
    LastSeen(last_seen_path(tmp_path / "data", "discord")).advance(str(WARD), at(3 * 3600))
    async with discord_world(tmp_path, discord_catchup_max_age_minutes=60) as w:
        w.monitor()
        too_old, recent = posted(w, FLAGGED, at(2 * 3600)), posted(w, FLAGGED, at(600))
        w.fake.add_history(WARD, GUILD_ID, [too_old, recent])
        await w.driver.ready()
        [dm] = notices(w)
        [record] = w.records.flags.values()
        assert record.message_ref.endswith(f"/{recent['id']}")
        assert int(history_reads(w)[0]["after"]) > int(too_old["id"])


async def test_an_unmonitored_channel_is_not_read_and_dms_refused_fall_back_as_live(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with discord_world(tmp_path) as w:
        w.monitor()
        w.fake.add_history(WARD, GUILD_ID, [])
        await w.driver.ready()
    async with discord_world(tmp_path) as w:
        w.monitor()
        w.fake.close_dms(int(w.poster["id"]))
        w.fake.add_history(WARD, GUILD_ID, [posted(w, FLAGGED)])
        await w.driver.ready()
        assert notices(w) == []
        [fallback] = w.fake.channel_posts(WARD)  # the detail-free channel notice, as for a live message
        assert "direct messages are closed" in fallback["content"]
        assert [c.path for c in w.fake.find("GET", r"/channels/\d+/messages$")] == [
            f"/api/v10/channels/{WARD}/messages"
        ]


async def test_an_unreadable_channel_is_logged_and_the_bot_carries_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with discord_world(tmp_path) as w:
        w.monitor()
        w.fake.add_history(WARD, GUILD_ID, [])
        await w.driver.ready()
    async with discord_world(tmp_path) as w:
        w.monitor()
        w.fake.add_history(WARD, GUILD_ID, [posted(w, FLAGGED)])
        w.fake.fail_next("GET", rf"/channels/{WARD}/messages$", 403, {"message": "Missing Access", "code": 50001})
        await w.driver.ready()
        assert notices(w) == []
        await w.post(FLAGGED)  # live messages still work
        assert len(notices(w)) == 1
    assert any("failed=HTTP 403 code 50001" in r.getMessage() for r in caplog.records)
