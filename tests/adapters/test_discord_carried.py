"""Issue 19 on Discord: edits, forwards and text attachments are screened with the
message, through discord.py's own gateway parsers and the fake API (its fake CDN serves
the attachments, read into memory)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from adapters.discord.carried import TEXT_SIZE_CAP
from tests.adapters.discord_world import GUILD_ID, LOUNGE, MODS, WARD, World, discord_world
from tests.adapters.test_discord_messages import FLAGGED, ORDINARY, assert_no_identifier
from tests.fakes import discord_payloads as p
from tests.unit.test_images import SECRETS, WHITEBOARD, png

pytestmark = pytest.mark.asyncio


def cdn_reads(w: World) -> list[str]:
    return [c.path for c in w.fake.find("GET", r"^/attachments/")]


async def test_an_edit_that_adds_an_nhs_number_is_flagged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with discord_world(tmp_path) as w:
        w.monitor(moderators=MODS)
        original = await w.post(ORDINARY)
        assert not w.records.flags
        await w.driver.message_update(p.edited(original, FLAGGED))
        assert len(w.records.flags) == 1 and len(w.fake.dm_posts(w.poster["id"])) == 1
        assert len(w.fake.channel_posts(MODS)) == 1
        assert_no_identifier(w, caplog)


async def test_an_edit_is_screened_even_when_the_original_is_not_cached(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        w.monitor()
        original = p.message(
            p.snowflake(), WARD, w.poster, ORDINARY, guild_id=GUILD_ID, author_member=p.member(w.poster)
        )
        await w.driver.message_update(p.edited(original, FLAGGED))  # never seen before
        assert len(w.records.flags) == 1


async def test_updates_that_are_not_edits_are_ignored_and_a_replayed_edit_counts_once(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        w.monitor()
        original = await w.post(ORDINARY)
        await w.driver.message_update({**original, "content": FLAGGED})  # no edited_timestamp: a link preview
        assert not w.records.flags
        edit = p.edited(original, FLAGGED)
        await w.driver.message_update(edit)
        await w.driver.message_update(edit)
        assert len(w.records.flags) == 1


async def test_an_edit_in_an_unmonitored_channel_is_not_screened(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        w.monitor(WARD)
        original = await w.post(ORDINARY, channel=LOUNGE)
        await w.driver.message_update(p.edited(original, FLAGGED))
        assert not w.records.flags


async def test_a_forwarded_message_is_screened_as_the_forwarders_post(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with discord_world(tmp_path) as w:
        w.monitor(moderators=MODS)
        payload = p.forward(
            p.snowflake(),
            WARD,
            w.poster,
            p.snapshot(FLAGGED),
            guild_id=GUILD_ID,
            author_member=p.member(w.poster),
            source_channel=LOUNGE,
            source_message=p.snowflake(),
        )
        await w.driver.message_create(payload)
        [record] = w.records.flags.values()
        assert record.category == "patient-identifiable"
        assert len(w.fake.dm_posts(w.poster["id"])) == 1
        assert_no_identifier(w, caplog)


async def test_a_small_text_attachment_is_read_in_memory_and_screened(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with discord_world(tmp_path) as w:
        w.monitor(moderators=MODS)
        body = ("Handover notes\n" + FLAGGED + "\n").encode()
        url = w.fake.add_file("message.txt", body)
        attachment = p.file_attachment("message.txt", url, len(body), "text/plain; charset=utf-8")
        await w.post("", attachments=[attachment])
        assert len(cdn_reads(w)) == 1
        assert len(w.records.flags) == 1
        assert_no_identifier(w, caplog)


async def test_a_text_attachment_over_the_cap_is_not_fetched(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        w.monitor()
        body = (FLAGGED + " " * TEXT_SIZE_CAP).encode()
        url = w.fake.add_file("message.txt", body)
        await w.post(ORDINARY, attachments=[p.file_attachment("message.txt", url, len(body), "text/plain")])
        assert cdn_reads(w) == [] and not w.records.flags


async def test_alt_text_and_file_names_are_screened(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        w.monitor()
        body = png(["Handover at 8pm"])
        url = w.fake.add_file("scan.png", body, "image/png")
        await w.post("", attachments=[p.file_attachment("scan.png", url, len(body), "image/png", FLAGGED)])
        assert len(w.records.flags) == 1


async def test_an_image_is_read_in_memory_and_screened(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with discord_world(tmp_path) as w:
        w.monitor(moderators=MODS)
        body = png([WHITEBOARD])
        url = w.fake.add_file("IMG_2041.png", body, "image/png")
        await w.post("for the late team", attachments=[p.file_attachment("IMG_2041.png", url, len(body), "image/png")])
        assert len(cdn_reads(w)) == 1
        [record] = w.records.flags.values()
        assert record.category in ("patient-identifiable", "patient-image")
        everything = "\n".join([str([c.body for c in w.fake.find() if c.method != "GET"]), repr(record), caplog.text])
        for secret in SECRETS:
            assert secret not in everything


async def report(w: World, message: p.Json, user: p.Json | None = None) -> p.Json:
    """Run "Report to gmcbot" (a message context menu command) through the real tree."""
    from tests.adapters.discord_world import APP_ID

    user = user or w.admin
    data = {
        "id": str(p.snowflake()),
        "name": "Report to gmcbot",
        "type": 3,
        "target_id": message["id"],
        "guild_id": str(GUILD_ID),
        "resolved": {"messages": {message["id"]: message}},
    }
    payload = p.interaction(
        2, data, app_id=APP_ID, user_json=user, guild_id=GUILD_ID, channel=p.text_channel(WARD, GUILD_ID, "ward-7")
    )
    await w.driver.slash_command(payload)
    return payload


@pytest.mark.parametrize("text", [ORDINARY, FLAGGED])
async def test_report_to_gmcbot_always_opens_a_flag_for_the_moderators(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    caplog.set_level(logging.DEBUG)
    async with discord_world(tmp_path) as w:
        w.monitor(moderators=MODS)
        message = p.message(p.snowflake(), WARD, w.poster, text, guild_id=GUILD_ID, author_member=p.member(w.poster))
        interaction = await report(w, message)
        [record] = w.records.flags.values()
        assert "report:manual" in record.rule_ids and record.channel == str(WARD)
        assert len(w.fake.channel_posts(MODS)) == 1
        assert w.fake.dm_posts(w.poster["id"]) == []  # the poster is not told who reported them
        answers = [c.body for c in w.responses(interaction) if c.method in ("POST", "PATCH")]
        assert any("passed this message to the moderators" in str(b) for b in answers)
        if text == FLAGGED:
            assert record.category == "patient-identifiable"
            assert_no_identifier(w, caplog)
