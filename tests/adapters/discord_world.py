"""A small Discord world for adapter tests: the fake REST API on port 0, the real
discord.py client logged in against it, one server with a ward channel, a moderators'
channel and three people, and the core on a trust corpus with the hashing embedder.

Use ``async with discord_world(tmp_path) as w:`` inside a pytest-asyncio test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord

from adapters.discord.runner import GmcClient, set_api_base
from bot.config import Settings
from bot.records import MemoryRecords, Records
from bot.service import GuidanceBot
from bot.types import ChannelSettings, Platform
from index.embedders import Embedder, HashingEmbedder
from tests.fakes import discord_payloads as p
from tests.fakes.discord_api import Call, FakeDiscordAPI
from tests.fakes.discord_driver import DiscordDriver

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.fake.token"
APP_ID = 123456789012345678
BOT_ID = APP_ID
GUILD_ID = p.snowflake()
WARD = p.snowflake()
MODS = p.snowflake()
LOUNGE = p.snowflake()
THREAD = p.snowflake()  # a thread under WARD
CONSULTANTS_ROLE = p.snowflake()
ADMIN_ROLE = p.snowflake()
BOT_ROLE = p.snowflake()

POLICY_QUESTION = "A patient contacted me on Twitter about their care: can I give clinical advice there?"
LONG_QUESTION = "Can I keep teaching photographs taken on the ward on my personal phone?"
LONG_SENTENCE = (
    "Photographs taken on the ward for teaching must be approved by the clinical photography service, "
    "stored on trust systems only, and never kept on personal phones."
)

POLICY_DOC = """# local-sm-policy
title: Trust social media policy
publisher: Example Trust
status: current
in_effect: 2024-01-01
url: https://example.org/policies/social-media

## 4
heading: Patients who contact you online
numbering: reconstructed
terms: reply, direct message

If a patient contacts you on Twitter or Facebook about their care, do not give clinical advice there. Reply
briefly and direct them to the ward's official contact routes.
"""

LONG_DOC = """# local-photo-policy
title: Trust clinical photography policy
publisher: Example Trust
status: current
in_effect: 2024-01-01
url: https://example.org/policies/photography

## 12
heading: Teaching photographs
numbering: confirmed

{text}
"""


def write_trust_corpus(folder: Path) -> Path:
    """A trust's own documents: one short paragraph and one of ~7,000 characters."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "local-sm-policy.md").write_text(POLICY_DOC, encoding="utf-8")
    (folder / "local-photo-policy.md").write_text(
        LONG_DOC.format(text=" ".join([LONG_SENTENCE] * 45)), encoding="utf-8"
    )
    return folder


@dataclass
class World:
    fake: FakeDiscordAPI
    client: GmcClient
    driver: DiscordDriver
    guidance: GuidanceBot
    records: Any  # MemoryRecords unless the test passed a durable store
    guild: discord.Guild
    bot_user: p.Json
    poster: p.Json
    admin: p.Json
    other_bot: p.Json

    # -- settings -----------------------------------------------------------------------
    def monitor(self, channel: int = WARD, moderators: int | None = None) -> None:
        current = self.guidance.channel_settings(Platform.DISCORD, str(GUILD_ID), str(channel))
        self.guidance.update_channel_settings(
            dataclasses.replace(current, monitored=True, moderators_channel=str(moderators) if moderators else "")
        )

    def channel_settings(self, channel: int = WARD) -> ChannelSettings:
        return self.guidance.channel_settings(Platform.DISCORD, str(GUILD_ID), str(channel))

    # -- inbound ------------------------------------------------------------------------
    async def post(
        self,
        content: str,
        *,
        author: p.Json | None = None,
        channel: int = WARD,
        mentions: Sequence[p.Json] = (),
        mention_roles: Sequence[int] = (),
        mention_everyone: bool = False,
        attachments: Sequence[p.Json] = (),
        webhook_id: int | None = None,
    ) -> p.Json:
        """A message posted in the server; returns the MESSAGE_CREATE payload."""
        author = author or self.poster
        payload = p.message(
            p.snowflake(),
            channel,
            author,
            content,
            guild_id=GUILD_ID,
            author_member=p.member(author),
            mentions=mentions,
            mention_roles=mention_roles,
            mention_everyone=mention_everyone,
            attachments=attachments,
            webhook_id=webhook_id,
        )
        await self.driver.message_create(payload)
        return payload

    async def mention(self, text: str, author: p.Json | None = None) -> p.Json:
        return await self.post(f"<@{BOT_ID}> {text}", author=author, mentions=[self.bot_user])

    async def direct_message(self, text: str, author: p.Json | None = None) -> tuple[p.Json, int]:
        """A DM to the bot; returns the payload and the DM channel id."""
        author = author or self.poster
        channel_id = p.snowflake()
        payload = p.message(p.snowflake(), channel_id, author, text)
        await self.driver.message_create(payload)
        return payload, channel_id

    def _guild_channel(self, channel: int) -> p.Json:
        return p.text_channel(channel, GUILD_ID, "ward-7" if channel == WARD else "channel")

    async def slash(
        self,
        name: str,
        options: list[p.Json],
        *,
        user: p.Json | None = None,
        in_guild: bool = True,
        permissions: int = p.MEMBER_PERMISSIONS,
        channel: int = WARD,
        resolved: p.Json | None = None,
    ) -> p.Json:
        """Run a slash command through the real tree; returns the interaction payload."""
        user = user or self.poster
        data = p.slash_data(p.snowflake(), name, options, resolved=resolved)
        if in_guild:
            payload = p.interaction(
                2,
                data,
                app_id=APP_ID,
                user_json=user,
                guild_id=GUILD_ID,
                channel=self._guild_channel(channel),
                permissions=permissions,
            )
        else:
            payload = p.interaction(2, data, app_id=APP_ID, user_json=user, channel=p.dm_channel(p.snowflake(), user))
        await self.driver.slash_command(payload)
        return payload

    async def gmc(self, question: str, **kwargs: Any) -> p.Json:
        return await self.slash("gmc", [{"name": "question", "type": 3, "value": question}], **kwargs)

    async def click(
        self,
        message: p.Json,
        custom_id: str,
        *,
        user: p.Json | None = None,
        in_guild: bool = True,
        permissions: int = p.MEMBER_PERMISSIONS,
        channel: int = WARD,
    ) -> p.Json:
        """Click a button on a message the bot sent; returns the interaction payload."""
        user = user or self.poster
        msg = {**message, "channel_id": str(channel)}
        if in_guild:
            payload = p.interaction(
                3,
                p.button_data(custom_id),
                app_id=APP_ID,
                user_json=user,
                guild_id=GUILD_ID,
                channel=self._guild_channel(channel),
                permissions=permissions,
                message_json=msg,
            )
        else:
            dm = p.dm_channel(int(message["channel_id"]) if message["channel_id"] != "0" else p.snowflake(), user)
            payload = p.interaction(
                3,
                p.button_data(custom_id),
                app_id=APP_ID,
                user_json=user,
                channel=dm,
                message_json={**message, "channel_id": dm["id"]},
            )
        await self.driver.interaction_create(payload)
        return payload

    # -- outbound -----------------------------------------------------------------------
    def responses(self, interaction: p.Json) -> list[Call]:
        return self.fake.interaction_calls(interaction)

    def answer_message(self, interaction: p.Json) -> p.Json:
        """The message an interaction was answered with (direct response or follow-up), as
        Discord returned it."""
        for call in self.responses(interaction):
            if call.path.endswith("/callback") and call.body["type"] == 4:
                return call.response["resource"]["message"]
            if call.method == "POST" and "/webhooks/" in call.path:
                return call.response
        raise AssertionError(f"no answer for interaction: {[c.path for c in self.responses(interaction)]}")


def guild_payload(bot_user: p.Json, people: Sequence[p.Json], admin: p.Json) -> p.Json:
    roles = [
        p.role(GUILD_ID, "@everyone", p.MEMBER_PERMISSIONS),
        p.role(CONSULTANTS_ROLE, "Consultants", 0),
        p.role(ADMIN_ROLE, "Admins", p.MANAGE_GUILD | p.MANAGE_MESSAGES),
        p.role(BOT_ROLE, "gmcbot", p.MEMBER_PERMISSIONS),
    ]
    members = [p.member(bot_user, [BOT_ROLE]), p.member(admin, [ADMIN_ROLE]), *(p.member(u) for u in people)]
    channels = [
        p.text_channel(WARD, GUILD_ID, "ward-7"),
        p.text_channel(MODS, GUILD_ID, "moderators", 1),
        p.text_channel(LOUNGE, GUILD_ID, "lounge", 2),
    ]
    threads = [p.thread(THREAD, GUILD_ID, WARD, admin_id(admin))]
    return p.guild(GUILD_ID, admin_id(admin), channels, roles, members, threads)


def admin_id(admin: p.Json) -> int:
    return int(admin["id"])


@asynccontextmanager
async def discord_world(
    tmp_path: Path,
    *,
    answer_budget: float = 5.0,
    embedder: Embedder | None = None,
    records: Records | None = None,
    **settings: Any,
) -> AsyncIterator[World]:
    """Start the fake API, log the real client in against it, create the server; restore
    discord.py's API base and stop everything afterwards. The data folder is
    ``tmp_path / "data"``; records are in memory unless ``records`` is given."""
    records = records if records is not None else MemoryRecords()
    config = Settings(
        data_dir=tmp_path / "data",
        corpus_dirs=(write_trust_corpus(tmp_path / "trust"),),
        discord_token=TOKEN,
        **settings,
    )
    guidance = GuidanceBot(config, embedder=embedder or HashingEmbedder(), records=records)
    bot_user = p.user(BOT_ID, "gmcbot", bot=True)
    poster = p.user(p.snowflake(), "dr.lee")
    admin = p.user(p.snowflake(), "ward.admin")
    other_bot = p.user(p.snowflake(), "otherbot", bot=True)
    fake = FakeDiscordAPI(bot_user=bot_user, application_id=APP_ID)
    for u in (poster, admin, other_bot):
        fake.add_user(u)
    previous_base = set_api_base(fake.start())
    client = GmcClient(guidance, config, answer_budget=answer_budget)
    driver = DiscordDriver(client)
    try:
        await driver.login(TOKEN)
        guild = driver.guild_create(guild_payload(bot_user, [poster, other_bot], admin))
        yield World(fake, client, driver, guidance, records, guild, bot_user, poster, admin, other_bot)
    finally:
        await driver.close()
        discord.http.Route.BASE = previous_base
        fake.stop()
