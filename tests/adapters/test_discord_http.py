"""What reaches Discord over HTTP: rate limits retried, mentions never enabled, limits
respected for long answers, and the fake itself speaking Discord's dialect."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import discord
import pytest

from adapters.discord.runner import DEFAULT_API_BASE
from adapters.discord.translate import TRIM_NOTE
from tests.adapters.discord_world import (
    BOT_ID,
    CONSULTANTS_ROLE,
    LONG_QUESTION,
    LONG_SENTENCE,
    LOUNGE,
    MODS,
    POLICY_QUESTION,
    WARD,
    discord_world,
)
from tests.fakes.discord_api import RATE_LIMIT_HEADERS, RATE_LIMITED, FakeDiscordAPI
from tests.fakes.discord_payloads import user

pytestmark = pytest.mark.asyncio
NO_MENTIONS: dict[str, list[str]] = {"parse": []}


async def test_429_is_retried_after_retry_after(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        w.fake.fail_next("POST", rf"/channels/{WARD}/messages$", 429, RATE_LIMITED, RATE_LIMIT_HEADERS)
        await w.mention(POLICY_QUESTION)
        attempts = w.fake.find("POST", rf"/channels/{WARD}/messages$")
        assert [c.status for c in attempts] == [429, 200]
        assert attempts[0].body == attempts[1].body
        assert len(w.fake.channel_posts(WARD)) == 1


async def test_429_on_an_interaction_follow_up_is_retried(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        answer = w.answer_message(await w.gmc(POLICY_QUESTION))
        w.fake.fail_next("POST", r"/webhooks/\d+/[^/]+$", 429, RATE_LIMITED, RATE_LIMIT_HEADERS)
        w.fake.fail_next("POST", rf"/channels/{WARD}/messages$", 429, RATE_LIMITED, RATE_LIMIT_HEADERS)
        click = await w.click(answer, "gmc:share")
        assert [c.status for c in w.fake.find("POST", rf"/channels/{WARD}/messages$")] == [429, 200]
        follow = [c.status for c in w.responses(click) if "/webhooks/" in c.path]
        assert follow == [429, 200]


async def test_mention_injection_never_pings_anyone(tmp_path: Path) -> None:
    """User text with @everyone, @here, role and user mentions reaches Discord only with
    mentions disabled: every message the bot sent says allowed_mentions.parse == []."""
    injection = f"@everyone @here <@&{CONSULTANTS_ROLE}> <@{{poster}}> " + POLICY_QUESTION
    async with discord_world(tmp_path) as w:
        text = injection.format(poster=w.poster["id"])
        answer = w.answer_message(await w.gmc(text))
        assert "@everyone" in answer["content"]  # the echo carries the text, inert
        await w.click(answer, "gmc:share")
        await w.post(
            f"<@{BOT_ID}> {text}",
            mentions=[w.bot_user, w.poster],
            mention_roles=[CONSULTANTS_ROLE],
            mention_everyone=True,
        )
        await w.direct_message(text)
        w.monitor(LOUNGE, moderators=MODS)  # the redacted excerpt for moderators keeps the @everyone
        await w.post(
            f"@everyone <@&{CONSULTANTS_ROLE}> Patient in resus is John Carter, NHS no 943 476 5919",
            channel=LOUNGE,
            mention_roles=[CONSULTANTS_ROLE],
            mention_everyone=True,
        )
        [notice] = w.fake.channel_posts(MODS)
        assert "@everyone" in notice["embeds"][0]["description"]
        sent = w.fake.sent_bodies()
        assert len(sent) >= 7
        for body in sent:
            assert body.get("allowed_mentions") == NO_MENTIONS, body


async def test_long_answer_is_trimmed_without_losing_the_citation(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        interaction = await w.gmc(LONG_QUESTION)
        call = w.responses(interaction)[0]
        assert call.status == 200  # the fake checks Discord's limits and would answer 400
        embed = call.body["data"]["embeds"][0]
        assert len(embed["description"]) <= 4096
        assert embed["description"].startswith(LONG_SENTENCE) and embed["description"].endswith(TRIM_NOTE)
        total = len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"])
        total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
        assert total <= 6000
        assert (
            embed["title"] == "Trust clinical photography policy (Example Trust), paragraph 12 (Teaching photographs)"
        )
        assert embed["url"] == "https://example.org/policies/photography"
        assert embed["footer"]["text"] == "Cited paragraph: local-photo-policy:12"
        link = call.body["data"]["components"][0]["components"][0]
        assert link["url"] == "https://example.org/policies/photography"
        await w.mention(LONG_QUESTION)
        [posted] = w.fake.channel_posts(WARD)
        assert posted["embeds"][0]["footer"]["text"] == "Cited paragraph: local-photo-policy:12"


async def test_over_long_question_is_echoed_within_the_content_limit(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        call = w.responses(await w.gmc(POLICY_QUESTION + " please" * 800))[0]
        assert call.status == 200 and len(call.body["data"]["content"]) <= 2000


async def test_route_base_is_restored_after_the_world(tmp_path: Path) -> None:
    async with discord_world(tmp_path) as w:
        assert discord.http.Route.BASE == w.fake.base_url
    assert discord.http.Route.BASE == DEFAULT_API_BASE


async def test_fake_speaks_json_with_the_exact_content_type() -> None:
    fake = FakeDiscordAPI(bot_user=user(1, "gmcbot", bot=True), application_id=1)
    base = fake.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(base + "/users/@me") as response:
                assert response.headers["Content-Type"] == "application/json"
                assert (await response.json())["id"] == "1"
            async with session.get(base + "/nowhere") as response:
                assert response.status == 404 and response.headers["Content-Type"] == "application/json"
    finally:
        fake.stop()
