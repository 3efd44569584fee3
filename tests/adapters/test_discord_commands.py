"""Slash commands and buttons through real Interaction objects, answered over discord.py's
real HTTP client into the local fake API."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from adapters.discord.translate import SHARE_ID
from bot.types import Actor, Platform
from index.embedders import HashingEmbedder
from tests.adapters.discord_world import GUILD_ID, MODS, POLICY_QUESTION, WARD, discord_world
from tests.fakes import discord_payloads as p

pytestmark = pytest.mark.asyncio
EPHEMERAL = 64
NO_MENTIONS: dict[str, list[str]] = {"parse": []}


def buttons(message: p.Json) -> list[p.Json]:
    return [b for row in message.get("components", []) for b in row["components"]]


def callbacks(calls: Sequence[object]) -> list[object]:
    return [c for c in calls if c.path.endswith("/callback")]  # type: ignore[attr-defined]


async def test_gmc_is_answered_once_ephemerally_with_the_cited_paragraph(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        interaction = await w.gmc(POLICY_QUESTION)
        calls = w.responses(interaction)
        assert [c.status for c in calls] == [200]
        body = calls[0].body
        assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL
        assert body["data"]["allowed_mentions"] == NO_MENTIONS
        message = w.answer_message(interaction)
        embed = message["embeds"][0]
        assert (
            embed["title"] == "Trust social media policy (Example Trust), paragraph 4 (Patients who contact you online)"
        )
        assert embed["url"] == "https://example.org/policies/social-media"
        assert "do not give clinical advice there" in embed["description"]
        assert "reconstructed" in embed["fields"][0]["value"]
        assert embed["footer"]["text"] == "Cited paragraph: local-sm-policy:4"
        labels = {b["label"]: b for b in buttons(message)}
        assert labels["Official guidance"]["url"] == "https://example.org/policies/social-media"
        assert {"Share in channel", "Helpful", "Not helpful"} <= set(labels)
        assert message["content"] == f"**You asked:** {POLICY_QUESTION}"


class SlowEmbedder(HashingEmbedder):
    """The hashing embedder, taking ``delay`` seconds (blocking, like a busy CPU-bound model)
    for each question; building the index stays fast."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) <= 2:
            time.sleep(self.delay)
        return super().encode(texts)


async def test_slow_answer_defers_then_follows_up_and_the_loop_keeps_running(tmp_path: Path) -> None:
    async with discord_world(tmp_path, answer_budget=0.2, embedder=SlowEmbedder(0.8)) as w:
        gaps: list[float] = []

        async def ticker() -> None:
            last = time.monotonic()
            while True:
                await asyncio.sleep(0.01)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        tick = asyncio.create_task(ticker())
        interaction = await w.gmc(POLICY_QUESTION)
        tick.cancel()
        calls = w.responses(interaction)
        assert len(callbacks(calls)) == 1
        assert calls[0].body["type"] == 5 and calls[0].body["data"]["flags"] & EPHEMERAL
        follow = [c for c in calls if c.method == "POST" and "/webhooks/" in c.path]
        assert len(follow) == 1 and follow[0].body["flags"] & EPHEMERAL
        assert follow[0].body["embeds"][0]["footer"]["text"] == "Cited paragraph: local-sm-policy:4"
        assert follow[0].body["allowed_mentions"] == NO_MENTIONS
        # The core ran in a worker thread: the event loop (and so the heartbeat) never stalled.
        assert gaps and max(gaps) < 0.4  # a blocked loop would show a gap of 0.8 s


async def test_share_posts_the_answer_in_the_channel_without_the_question(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        answer = w.answer_message(await w.gmc(POLICY_QUESTION))
        click = await w.click(answer, SHARE_ID)
        posted = w.fake.channel_posts(WARD)
        assert len(posted) == 1
        shared = posted[0]
        assert shared["embeds"][0]["title"] == answer["embeds"][0]["title"]
        assert shared["content"] == f"<@{w.poster['id']}> shared this guidance:"
        assert POLICY_QUESTION not in str(shared)
        assert shared["allowed_mentions"] == NO_MENTIONS
        assert [b["label"] for b in buttons(shared)] == ["Official guidance"]
        calls = w.responses(click)
        assert len(callbacks(calls)) == 1
        confirm = [c for c in calls if c.method == "POST" and "/webhooks/" in c.path]
        assert confirm[0].body["content"] == "Shared in this channel." and confirm[0].body["flags"] & EPHEMERAL


async def test_gmc_in_a_dm_has_no_share_button(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        message = w.answer_message(await w.gmc(POLICY_QUESTION, in_guild=False))
        labels = [b["label"] for b in buttons(message)]
        assert "Share in channel" not in labels and "Helpful" in labels


async def test_feedback_is_stored_once_and_its_buttons_removed(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        answer = w.answer_message(await w.gmc(POLICY_QUESTION))
        helpful = next(b for b in buttons(answer) if b["label"] == "Helpful")
        click = await w.click(answer, helpful["custom_id"])
        assert len(w.records.feedback) == 1
        record = w.records.feedback[0]
        assert record.helpful and record.platform == "discord"
        assert record.citation_ids[0] == "local-sm-policy:4"
        assert record.question_redacted == POLICY_QUESTION
        assert record.user_hash and record.user_hash != w.poster["id"]
        calls = w.responses(click)
        assert len(callbacks(calls)) == 1 and calls[0].body["type"] == 6
        edit = [c for c in calls if c.method == "PATCH" and c.path.endswith("/messages/@original")]
        assert len(edit) == 1
        labels = [b["label"] for row in edit[0].body["components"] for b in row["components"]]
        assert "Helpful" not in labels and "Not helpful" not in labels
        assert edit[0].body["content"].endswith("Thanks, noted as helpful.")


async def test_settings_command_needs_manage_server(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        interaction = await w.slash("gmc-settings", [{"name": "screening", "type": 5, "value": True}])
        body = w.responses(interaction)[0].body
        assert "Manage Server" in body["data"]["content"] and body["data"]["flags"] & EPHEMERAL
        assert not w.channel_settings().monitored


async def test_admin_turns_screening_on_with_a_moderators_channel(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        assert not w.channel_settings().monitored  # default off
        resolved = {
            "channels": {
                str(MODS): {
                    "id": str(MODS),
                    "name": "moderators",
                    "type": 0,
                    "permissions": str(p.MEMBER_PERMISSIONS),
                    "guild_id": str(GUILD_ID),
                }
            }
        }
        options = [
            {"name": "screening", "type": 5, "value": True},
            {"name": "moderators", "type": 7, "value": str(MODS)},
        ]
        interaction = await w.slash(
            "gmc-settings", options, user=w.admin, permissions=p.MANAGE_GUILD | p.MEMBER_PERMISSIONS, resolved=resolved
        )
        settings = w.channel_settings()
        assert settings.monitored and settings.moderators_channel == str(MODS)
        content = w.responses(interaction)[0].body["data"]["content"]
        assert "Screening: on" in content and f"<#{MODS}>" in content
        view = await w.slash("gmc-settings", [], user=w.admin, permissions=p.MANAGE_GUILD)
        assert "Screening: on" in w.responses(view)[0].body["data"]["content"]


async def test_commands_are_registered_with_least_privilege_defaults(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        sync = w.fake.find("PUT", r"/applications/\d+/commands$")
        assert len(sync) == 1
        commands = {c["name"]: c for c in sync[0].body}
        assert set(commands) == {"gmc", "gmc-profession", "gmc-settings", "Report to gmcbot"}
        assert "default_member_permissions" not in commands["gmc-profession"] or not commands["gmc-profession"].get(
            "default_member_permissions"
        )  # anyone may say their profession, in a server or a DM
        assert commands["Report to gmcbot"]["type"] == 3 and commands["Report to gmcbot"]["contexts"] == [0]
        assert commands["gmc"]["options"][0]["name"] == "question" and commands["gmc"]["options"][0]["required"]
        assert int(commands["gmc-settings"]["default_member_permissions"]) == p.MANAGE_GUILD
        assert commands["gmc-settings"]["contexts"] == [0]


async def test_questions_past_the_rate_limit_get_a_polite_refusal(tmp_path: Path) -> None:
    async with discord_world(tmp_path, rate_limit_per_minute=2) as w:
        first = await w.gmc(POLICY_QUESTION)
        await w.mention(POLICY_QUESTION)
        third = await w.gmc(POLICY_QUESTION)
        assert w.answer_message(first)["embeds"]
        refusal = w.answer_message(third)
        assert "2 questions in the last minute" in refusal["content"] and not refusal["embeds"]
        other = await w.gmc(POLICY_QUESTION, user=w.admin)  # the limit is per person
        assert w.answer_message(other)["embeds"]


async def test_a_core_failure_is_answered_once_and_logged_without_the_question(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with discord_world(tmp_path) as w:
        shutil.rmtree(tmp_path / "trust")  # the trust's corpus folder vanished: loading the corpus fails
        interaction = await w.gmc(POLICY_QUESTION)
        [call] = w.responses(interaction)
        assert call.body["type"] == 4 and call.body["data"]["flags"] & EPHEMERAL
        assert call.body["data"]["content"].startswith("Sorry, something went wrong")
        await w.mention(POLICY_QUESTION)
        [reply] = w.fake.channel_posts(WARD)
        assert reply["content"].startswith("Sorry, something went wrong")
        assert "CorpusError" in caplog.text
        assert POLICY_QUESTION not in caplog.text and "Twitter" not in caplog.text


# -- /gmc-profession (issue 14) ----------------------------------------------------------------
PHOTO = "can I post a photo from work on Instagram?"


def profession_option(value: str) -> list[p.Json]:
    return [{"name": "profession", "type": 3, "value": value}]


async def test_gmc_profession_saves_shows_and_clears_privately(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        poster = Actor(str(w.poster["id"]))
        shown = await w.slash("gmc-profession", [])
        body = w.responses(shown)[0].body
        assert body["data"]["flags"] & EPHEMERAL and body["data"]["allowed_mentions"] == NO_MENTIONS
        assert "haven't told me your profession" in body["data"]["content"]
        saved = await w.slash("gmc-profession", profession_option("community midwife"))
        content = w.responses(saved)[0].body["data"]["content"]
        assert content.startswith("Noted: you'll get NMC guidance first") and "`/gmc-profession clear`" in content
        assert w.guidance.profession(Platform.DISCORD, str(GUILD_ID), poster) == "nurses"
        answer = w.answer_message(await w.gmc(PHOTO))
        assert answer["embeds"][0]["url"] == w.guidance.corpus.documents["nmc-sm"].url
        cleared = await w.slash("gmc-profession", [{"name": "clear", "type": 5, "value": True}])
        assert "forgotten your profession" in w.responses(cleared)[0].body["data"]["content"]
        assert w.guidance.profession(Platform.DISCORD, str(GUILD_ID), poster) is None


async def test_a_profession_saved_in_a_dm_applies_in_the_server(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        dm = await w.slash("gmc-profession", profession_option("paramedic"), in_guild=False)
        assert "HCPC guidance first" in w.responses(dm)[0].body["data"]["content"]
        assert w.guidance.profession(Platform.DISCORD, "", Actor(str(w.poster["id"]))) == "ahp"
        answer = w.answer_message(await w.gmc(PHOTO))
        assert answer["embeds"][0]["url"] == w.guidance.corpus.documents["hcpc-sm-2024"].url


async def test_gmc_profession_not_understood_says_what_to_type(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        reply = await w.slash("gmc-profession", profession_option("pharmacist for John Carter"))
        content = w.responses(reply)[0].body["data"]["content"]
        assert "`/gmc-profession nurse`" in content and "John Carter" not in content


async def test_admins_set_a_channel_audience(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        options = [{"name": "audience", "type": 3, "value": "nurses"}]
        reply = await w.slash("gmc-settings", options, user=w.admin, permissions=p.MANAGE_GUILD)
        assert "Audience (whose guidance comes first): nurses" in w.responses(reply)[0].body["data"]["content"]
        assert w.channel_settings().audience == "nurses"
        answer = w.answer_message(await w.gmc(PHOTO))
        assert answer["embeds"][0]["url"] == w.guidance.corpus.documents["nmc-sm"].url
        options = [{"name": "audience", "type": 3, "value": "none"}]
        await w.slash("gmc-settings", options, user=w.admin, permissions=p.MANAGE_GUILD)
        assert w.channel_settings().audience == ""
