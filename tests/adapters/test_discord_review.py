"""Who may decide a flag on Discord (issue 16), through discord.py and the fake API: the
poster's buttons check the clicker is the poster and stop once a moderator decides;
moderators need Manage Messages; refusals are ephemeral and change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.review import ALREADY_DECIDED, NOT_POSTER
from bot.types import FlagStatus
from tests.adapters.discord_world import MODS, World, discord_world
from tests.adapters.test_discord_messages import FLAGGED, buttons
from tests.fakes import discord_payloads as p
from tests.fakes.discord_api import Call

pytestmark = pytest.mark.asyncio
EPHEMERAL = 64


def poster_dm(w: World) -> Call:
    return next(
        c for c in w.fake.find("POST", r"/channels/\d+/messages$") if c.path.split("/")[-2] in w.fake.dm_channels
    )


def button(call: Call, label: str) -> str:
    return str(next(b for b in buttons(call.body) if b["label"] == label)["custom_id"])


def private_refusal(w: World, click: p.Json) -> str:
    """The ephemeral follow-up a refused click got (after the deferred update)."""
    calls = w.responses(click)
    assert calls[0].body["type"] == 6  # deferred update: the notice itself is not touched
    [follow] = [c for c in calls if c.method == "POST" and "/webhooks/" in c.path]
    assert follow.body["flags"] & EPHEMERAL
    assert not [c for c in calls if c.method == "PATCH"]
    return str(follow.body["content"])


async def test_someone_else_clicking_the_posters_button_is_refused_privately(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        w.monitor(moderators=MODS)
        await w.post(FLAGGED)
        flag_id = next(iter(w.records.flags))
        dm = poster_dm(w)
        click = await w.click(dm.response, button(dm, "False alarm"), user=w.admin, in_guild=False)
        assert private_refusal(w, click) == NOT_POSTER
        assert w.records.flags[flag_id].status is FlagStatus.OPEN and w.records.flag_events() == []


async def test_the_poster_cannot_reset_a_flag_a_moderator_decided(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        w.monitor(moderators=MODS)
        await w.post(FLAGGED)
        flag_id = next(iter(w.records.flags))
        mod_call = next(iter(w.fake.find("POST", rf"/channels/{MODS}/messages$")))
        await w.click(
            mod_call.response,
            button(mod_call, "Confirm"),
            user=w.admin,
            channel=MODS,
            permissions=p.MANAGE_MESSAGES | p.MEMBER_PERMISSIONS,
        )
        assert w.records.flags[flag_id].status is FlagStatus.CONFIRMED
        dm = poster_dm(w)
        click = await w.click(dm.response, button(dm, "False alarm"), in_guild=False)
        assert private_refusal(w, click) == ALREADY_DECIDED
        assert w.records.flags[flag_id].status is FlagStatus.CONFIRMED
        [event] = w.records.flag_events(flag_id)
        assert (event.role, event.source, event.actor_hash) == (
            "moderator",
            "discord",
            w.records.pseudonym(str(w.admin["id"])),
        )


async def test_the_poster_may_change_their_answer_until_decided(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        w.monitor(moderators=MODS)
        await w.post(FLAGGED)
        flag_id = next(iter(w.records.flags))
        dm = poster_dm(w)
        await w.click(dm.response, button(dm, "False alarm"), in_guild=False)
        await w.click(dm.response, button(dm, "I'll remove it"), in_guild=False)
        assert w.records.flags[flag_id].status is FlagStatus.REMOVED
        assert [e.to_status for e in w.records.flag_events(flag_id)] == [FlagStatus.FALSE_ALARM, FlagStatus.REMOVED]


async def test_a_moderators_button_pressed_outside_a_server_is_refused(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        w.monitor(moderators=MODS)
        await w.post(FLAGGED)
        flag_id = next(iter(w.records.flags))
        mod_call = next(iter(w.fake.find("POST", rf"/channels/{MODS}/messages$")))
        click = await w.click(mod_call.response, button(mod_call, "Confirm"), user=w.admin, in_guild=False)
        assert "Only moderators" in w.responses(click)[0].body["data"]["content"]
        assert w.records.flags[flag_id].status is FlagStatus.OPEN


async def test_a_member_without_manage_messages_cannot_decide_in_the_moderators_channel(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        w.monitor(moderators=MODS)
        await w.post(FLAGGED)
        flag_id = next(iter(w.records.flags))
        mod_call = next(iter(w.fake.find("POST", rf"/channels/{MODS}/messages$")))
        bystander = p.user(p.snowflake(), "bystander")
        click = await w.click(mod_call.response, button(mod_call, "False alarm"), user=bystander, channel=MODS)
        reply = w.responses(click)[0].body["data"]
        assert "Only moderators" in reply["content"] and reply["flags"] & EPHEMERAL  # told privately
        assert w.records.flags[flag_id].status is FlagStatus.OPEN and w.records.flag_events() == []
