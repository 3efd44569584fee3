"""The adapter contract suite (``tests/adapters/contract.py``) run against Discord: the real
discord.py client and cog, its HTTP client pointed at the local fake API."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from adapters.discord.translate import flag_custom_id
from bot.records import Records
from bot.service import GuidanceBot
from bot.types import FlagStatus
from tests.adapters.contract import AdapterContract, Delivered
from tests.adapters.discord_world import MODS, World, discord_world
from tests.fakes import discord_payloads as p
from tests.fakes.discord_api import Call

pytestmark = pytest.mark.asyncio
_CHANNEL_POST = re.compile(r"/channels/(\d+)/messages$")


def _shown(body: Any) -> str:
    """What a message body displays: its content, then its embeds and buttons as JSON."""
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        body = body["data"]
    if not isinstance(body, dict) or not any(k in body for k in ("content", "embeds", "components")):
        return ""
    rest = {k: body[k] for k in ("embeds", "components") if body.get(k)}
    return "\n".join([str(body.get("content") or ""), json.dumps(rest, ensure_ascii=False)])


class DiscordDriver:
    """:class:`tests.adapters.contract.PlatformDriver` for Discord."""

    def __init__(self, world: World, caplog: pytest.LogCaptureFixture) -> None:
        self.world = world
        self.guidance: GuidanceBot = world.guidance
        self.records: Records = world.records
        self._caplog = caplog
        self._stranger = p.user(p.snowflake(), "stranger")

    def _calls(self) -> list[Call]:
        return [c for c in self.world.fake.find() if c.method != "GET"]

    def _delivered(self, before: int) -> Delivered:
        got = Delivered()
        for call in self._calls()[before:]:
            text = _shown(call.body)
            if not text or call.status >= 300:
                continue
            posted = _CHANNEL_POST.search(call.path)
            if posted is None:  # an interaction's response, follow-up or edit: the clicker's
                got.private.append(text)
            elif posted.group(1) in self.world.fake.dm_channels:
                got.private.append(text)
            elif posted.group(1) == str(MODS):
                got.moderators.append(text)
            else:
                got.public.append(text)
        return got

    async def ask(self, question: str) -> Delivered:
        before = len(self._calls())
        await self.world.gmc(question)
        return self._delivered(before)

    async def post(self, text: str) -> Delivered:
        before = len(self._calls())
        await self.world.post(text)
        return self._delivered(before)

    async def monitor(self, on: bool = True, moderators: bool = True) -> None:
        if on:
            self.world.monitor(moderators=MODS if moderators else None)

    async def decide(self, flag_id: str, status: FlagStatus, *, as_poster: bool) -> Delivered:
        dm = next(
            c
            for c in self.world.fake.find("POST", r"/channels/\d+/messages$")
            if c.path.split("/")[-2] in self.world.fake.dm_channels
        )
        before = len(self._calls())
        user = self.world.poster if as_poster else self._stranger
        await self.world.click(dm.response, flag_custom_id("poster", status, flag_id), user=user, in_guild=False)
        return self._delivered(before)

    async def break_core(self) -> None:
        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the core is down")

        self.guidance.ask = broken  # type: ignore[method-assign]

    def sent_everything(self) -> str:
        return "\n".join(json.dumps(c.body, ensure_ascii=False, default=str) for c in self.world.fake.find())

    def log_text(self) -> str:
        return self._caplog.text


class TestDiscordContract(AdapterContract):
    @pytest_asyncio.fixture
    async def platform(self, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> AsyncIterator[DiscordDriver]:
        caplog.set_level(logging.DEBUG)
        async with discord_world(tmp_path) as world:
            yield DiscordDriver(world, caplog)
