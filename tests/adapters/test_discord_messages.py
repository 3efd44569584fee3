"""Messages through discord.py's own gateway parser: mentions and DMs answered in place,
monitored channels screened, notices sent over the real HTTP client into the fake API."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot import wording
from bot.config import Settings
from bot.logsetup import quiet_body_loggers
from bot.store import open_records
from bot.types import FlagStatus
from tests.adapters.discord_world import BOT_ID, LOUNGE, MODS, POLICY_QUESTION, THREAD, WARD, World, discord_world
from tests.fakes import discord_payloads as p
from tests.generated import ADAPTER_MESSAGES, generate
from tests.privacy import identifiers_in, leaks, leaks_among, log_text, sqlite_text

pytestmark = pytest.mark.asyncio
NO_MENTIONS: dict[str, list[str]] = {"parse": []}
FLAGGED = "Patient in resus is John Carter, NHS no 943 476 5919"
IDENTIFIERS = ("John Carter", "943 476 5919", "9434765919")
ORDINARY = "Handover is at 8pm tonight in the seminar room, bring your bleep."
LOGIN_PATHS = ("/users/@me", "/oauth2/applications/@me", "/commands")


def bot_requests(w: World) -> list[str]:
    """What the bot did over HTTP after logging in."""
    return [f"{c.method} {c.path}" for c in w.fake.find() if not c.path.endswith(LOGIN_PATHS)]


def buttons(body: p.Json) -> list[p.Json]:
    return [b for row in body.get("components", []) for b in row["components"]]


def assert_no_identifier(w: World, caplog: pytest.LogCaptureFixture) -> None:
    """No identifier (in any spelling) reached Discord in anything the bot sent, the
    stored records or the logs."""
    everything = "\n".join(
        [
            str([c.body for c in w.fake.find() if c.method != "GET"]),
            str(list(w.records.flags.values())),
            str(w.records.feedback),
            log_text(caplog.records),
        ]
    )
    needles = identifiers_in(FLAGGED, w.guidance.screen(FLAGGED))
    assert {n.kind for n in needles} >= {"nhs-number", "name"}
    assert leaks(needles, everything) == []
    for identifier in IDENTIFIERS:
        assert identifier not in everything


async def test_mention_is_answered_in_place_with_the_citation(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        question = await w.mention(POLICY_QUESTION)
        posted = w.fake.channel_posts(WARD)
        assert len(posted) == 1
        reply = posted[0]
        assert str(reply["message_reference"]["message_id"]) == question["id"]
        assert reply["embeds"][0]["footer"]["text"] == "Cited paragraph: local-sm-policy:4"
        assert reply["allowed_mentions"] == NO_MENTIONS
        assert [b["label"] for b in buttons(reply)] == ["Official guidance"]


async def test_dm_is_answered_in_place(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        message, channel_id = await w.direct_message(POLICY_QUESTION)
        posted = w.fake.channel_posts(channel_id)
        assert len(posted) == 1 and str(posted[0]["message_reference"]["message_id"]) == message["id"]
        assert posted[0]["embeds"][0]["title"].startswith("Trust social media policy")


async def test_bare_mention_gets_a_prompt_not_an_error(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        await w.post(f"<@{BOT_ID}>", mentions=[w.bot_user])
        posted = w.fake.channel_posts(WARD)
        assert len(posted) == 1 and "Ask me about professional guidance" in posted[0]["content"]


async def test_the_bot_ignores_itself_other_bots_and_webhooks(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        w.monitor()
        await w.mention(POLICY_QUESTION, author=w.bot_user)
        await w.mention(FLAGGED, author=w.other_bot)
        await w.post(FLAGGED, author=w.other_bot)
        await w.post(f"<@{BOT_ID}> {FLAGGED}", mentions=[w.bot_user], webhook_id=p.snowflake())
        await w.direct_message(POLICY_QUESTION, author=w.other_bot)
        assert bot_requests(w) == []
        assert not w.records.flags


async def test_unmonitored_channel_is_not_screened(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        w.monitor(WARD)
        await w.post(FLAGGED, channel=LOUNGE)
        assert bot_requests(w) == [] and not w.records.flags


async def test_ordinary_message_in_a_monitored_channel_gives_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with discord_world(tmp_path) as w:
        w.monitor(moderators=MODS)
        await w.post(ORDINARY)
        assert bot_requests(w) == [] and not w.records.flags
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("adapters")]


async def test_flagged_message_gets_a_private_dm_and_a_redacted_moderator_notice(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with discord_world(tmp_path) as w:
        w.monitor(moderators=MODS)
        message = await w.post(FLAGGED)
        dms = w.fake.dm_posts(w.poster["id"])
        assert len(dms) == 1
        dm = dms[0]
        assert dm["allowed_mentions"] == NO_MENTIONS
        assert dm["embeds"][0]["title"].startswith("What I found:")
        assert dm["embeds"][1]["footer"]["text"].startswith("Cited paragraph: ")
        labels = {b["label"]: b for b in buttons(dm)}
        assert labels["Go to message"]["url"].endswith(f"/{WARD}/{message['id']}")
        assert {"I'll remove it", "False alarm"} <= set(labels)
        mods = w.fake.channel_posts(MODS)
        assert len(mods) == 1
        notice = mods[0]["embeds"][0]
        assert notice["title"].startswith("Possible risk:")
        assert "Patient in resus is" in notice["description"]
        assert [b["label"] for b in buttons(mods[0])] == ["Go to message", "Confirm", "False alarm"]
        assert mods[0]["allowed_mentions"] == NO_MENTIONS
        assert w.fake.channel_posts(WARD) == []  # nothing public
        assert len(w.records.flags) == 1
        record = next(iter(w.records.flags.values()))
        assert record.platform == "discord" and record.channel == str(WARD) and record.status is FlagStatus.OPEN
        assert_no_identifier(w, caplog)


async def test_closed_dms_fall_back_to_a_channel_notice_naming_no_details(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with discord_world(tmp_path) as w:
        w.monitor()
        w.fake.close_dms(int(w.poster["id"]))
        message = await w.post(FLAGGED)
        refused = w.fake.dm_posts(w.poster["id"], ok_only=False)
        assert len(refused) == 1 and w.fake.dm_posts(w.poster["id"]) == []
        notices = w.fake.channel_posts(WARD)
        assert len(notices) == 1
        notice = notices[0]
        assert notice["content"].startswith(f"<@{w.poster['id']}>")
        assert str(notice["message_reference"]["message_id"]) == message["id"]
        assert notice["allowed_mentions"] == NO_MENTIONS
        assert "embeds" not in notice or not notice["embeds"]
        for detail in ("patient", "NHS", "identif"):
            assert detail.lower() not in notice["content"].lower()
        assert_no_identifier(w, caplog)


async def test_poster_and_moderator_buttons_record_the_outcome(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        w.monitor(moderators=MODS)
        await w.post(FLAGGED)
        flag_id = next(iter(w.records.flags))
        dm_call = next(
            c for c in w.fake.find("POST", r"/channels/\d+/messages$") if c.path.split("/")[-2] in w.fake.dm_channels
        )
        remove = next(b for b in buttons(dm_call.body) if b["label"] == "I'll remove it")
        click = await w.click(dm_call.response, remove["custom_id"], in_guild=False)
        assert w.records.flags[flag_id].status is FlagStatus.REMOVED
        edit = [c for c in w.responses(click) if c.method == "PATCH"]
        assert len(edit) == 1 and edit[0].body["content"].endswith(wording.outcome_line(FlagStatus.REMOVED))
        assert [b["label"] for row in edit[0].body["components"] for b in row["components"]] == ["Go to message"]

        mod_call = next(c for c in w.fake.find("POST", rf"/channels/{MODS}/messages$"))
        confirm = next(b for b in buttons(mod_call.body) if b["label"] == "Confirm")
        denied = await w.click(mod_call.response, confirm["custom_id"], channel=MODS)
        assert "Only moderators" in w.responses(denied)[0].body["data"]["content"]
        assert w.records.flags[flag_id].status is FlagStatus.REMOVED
        await w.click(
            mod_call.response,
            confirm["custom_id"],
            user=w.admin,
            channel=MODS,
            permissions=p.MANAGE_MESSAGES | p.MEMBER_PERMISSIONS,
        )
        record = w.records.flags[flag_id]
        assert record.status is FlagStatus.CONFIRMED and record.reviewer_hash


async def test_delete_flagged_removes_the_message_after_notifying(tmp_path: Path) -> None:
    async with discord_world(tmp_path, delete_flagged=True) as w:
        w.monitor(moderators=MODS)
        message = await w.post(FLAGGED)
        order = bot_requests(w)
        delete = f"DELETE /api/v10/channels/{WARD}/messages/{message['id']}"
        assert order[-1] == delete
        assert any(f"/channels/{MODS}/messages" in r for r in order[:-1])
        assert len(w.records.flags) == 1  # the redacted record stays


async def test_missing_manage_messages_is_logged_not_fatal(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with discord_world(tmp_path, delete_flagged=True) as w:
        w.monitor()
        w.fake.fail_next("DELETE", r"/messages/\d+$", 403, {"message": "Missing Permissions", "code": 50013})
        await w.post(FLAGGED)
        assert "needs Manage Messages" in caplog.text
        assert len(w.fake.dm_posts(w.poster["id"])) == 1
        for identifier in IDENTIFIERS:
            assert identifier not in caplog.text


async def test_a_replayed_message_is_handled_once(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        w.monitor()
        payload = await w.post(FLAGGED)
        await w.driver.message_create(payload)
        assert len(w.fake.dm_posts(w.poster["id"])) == 1 and len(w.records.flags) == 1


async def test_a_thread_follows_its_parent_channel(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        w.monitor(WARD)
        message = await w.post(FLAGGED, channel=THREAD)
        [dm] = w.fake.dm_posts(w.poster["id"])
        jump = next(b for row in dm["components"] for b in row["components"] if b["label"] == "Go to message")
        assert jump["url"].endswith(f"/{THREAD}/{message['id']}")
        [record] = w.records.flags.values()
        assert record.channel == str(WARD)


async def test_flag_and_outcome_land_in_the_sqlite_audit_trail_without_patient_data(tmp_path: Path) -> None:
    store = open_records(Settings(data_dir=tmp_path / "data"))
    try:
        async with discord_world(tmp_path, records=store) as w:
            w.monitor(moderators=MODS)
            await w.post(FLAGGED)
            [record] = store.flags()
            assert record.platform == "discord" and record.status is FlagStatus.OPEN
            mod_call = next(iter(w.fake.find("POST", rf"/channels/{MODS}/messages$")))
            confirm = next(b for b in buttons(mod_call.body) if b["label"] == "Confirm")
            await w.click(
                mod_call.response, confirm["custom_id"], user=w.admin, channel=MODS, permissions=p.MANAGE_MESSAGES
            )
            [record] = store.flags()
            assert record.status is FlagStatus.CONFIRMED
            needles = identifiers_in(FLAGGED, w.guidance.screen(FLAGGED))
    finally:
        store.close()
    assert needles and leaks(needles, sqlite_text(tmp_path / "data" / "gmcbot.sqlite3")) == []


async def test_generated_identifiers_never_reach_discord_records_or_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 12, Discord side: generated messages (tests/generated.py, every written form)
    posted in a monitored channel with a moderators' channel; nothing the bot sent, stored
    or logged holds a generated value."""
    quiet_body_loggers()  # as the runner does: discord.py logs whole payloads at DEBUG
    caplog.set_level(logging.DEBUG)
    generated = [generate(seed) for seed in range(ADAPTER_MESSAGES)]
    async with discord_world(tmp_path) as w:
        w.monitor(moderators=MODS)
        for g in generated:
            await w.post(g.text)
        sent = [c.body for c in w.fake.find() if c.method != "GET"]
        everything = "\n".join(
            [str(sent), str(list(w.records.flags.values())), str(w.records.feedback), log_text(caplog.records)]
        )
        assert len(w.fake.channel_posts(MODS)) >= sum(g.about_patient for g in generated)
    needles = [n for g in generated for n in g.needles]
    assert [needles[i].text for i in sorted(leaks_among(needles, everything))] == []
