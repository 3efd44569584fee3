"""The adapter contract suite (``tests/adapters/contract.py``) run against Slack: the real
Bolt app over HTTP with signed requests, the fake Web API behind it."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.slack import blocks as bk
from bot.records import Records
from bot.service import GuidanceBot
from bot.types import ChannelSettings, FlagStatus, Platform
from tests.adapters.contract import AdapterContract, Delivered
from tests.adapters.slack_harness import SlackHarness, running_slack
from tests.fakes.slack_api import RESPONSE_METHOD, TEAM_ID, Call, FakeSlackApi

pytestmark = pytest.mark.asyncio
POSTER, STRANGER, WARD, MODS = "U0ANN", "U0STRANGER", "C0WARD", "C0MODS"
PRIVATE = ("chat.postEphemeral", RESPONSE_METHOD)


def _shown(call: Call) -> str:
    """What a call displays: its text, then its blocks as JSON."""
    blocks = call.params.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return "\n".join([str(call.params.get("text", "")), json.dumps(blocks or [], ensure_ascii=False)])


class SlackDriver:
    """:class:`tests.adapters.contract.PlatformDriver` for Slack."""

    def __init__(self, slack: SlackHarness, caplog: pytest.LogCaptureFixture) -> None:
        self.slack = slack
        self.guidance: GuidanceBot = slack.bot
        self.records: Records = slack.bot.records
        self._caplog = caplog
        self._clicks = 0

    def _delivered(self, before: int) -> Delivered:
        self.slack.wait_idle()
        got = Delivered()
        for call in self.slack.fake.calls[before:]:
            if not call.ok:
                continue
            in_channel = call.params.get("response_type") == "in_channel"
            if call.method in PRIVATE and not in_channel:
                got.private.append(_shown(call))
            elif call.method == "chat.postMessage" and call.params.get("channel") == MODS:
                got.moderators.append(_shown(call))
            elif call.method == "chat.postMessage" or in_channel:
                got.public.append(_shown(call))
        return got

    async def ask(self, question: str) -> Delivered:
        before = len(self.slack.fake.calls)
        await asyncio.to_thread(self.slack.command, question)
        return await asyncio.to_thread(self._delivered, before)

    async def post(self, text: str) -> Delivered:
        before = len(self.slack.fake.calls)
        await asyncio.to_thread(self.slack.event, self.slack.message(text, user=POSTER, channel=WARD))
        return await asyncio.to_thread(self._delivered, before)

    async def monitor(self, on: bool = True, moderators: bool = True) -> None:
        self.guidance.update_channel_settings(
            ChannelSettings(Platform.SLACK, TEAM_ID, WARD, monitored=on, moderators_channel=MODS if moderators else "")
        )

    async def decide(self, flag_id: str, status: FlagStatus, *, as_poster: bool) -> Delivered:
        action_id = bk.FLAG_REMOVING if status is FlagStatus.REMOVED else bk.FLAG_FALSE_ALARM
        self._clicks += 1
        before = len(self.slack.fake.calls)
        await asyncio.to_thread(
            self.slack.action,
            {"action_id": action_id, "value": flag_id},
            user=POSTER if as_poster else STRANGER,
            channel=WARD,
            name=f"click-{self._clicks}",
        )
        return await asyncio.to_thread(self._delivered, before)

    async def break_core(self) -> None:
        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the core is down")

        self.guidance.ask = broken  # type: ignore[method-assign]

    def sent_everything(self) -> str:
        return "\n".join(c.text_dump() for c in self.slack.fake.calls)

    def log_text(self) -> str:
        return self._caplog.text


class TestSlackContract(AdapterContract):
    @pytest.fixture
    def platform(self, slack_data_dir: Path, caplog: pytest.LogCaptureFixture) -> Iterator[SlackDriver]:
        caplog.set_level(logging.DEBUG)
        with FakeSlackApi(admins={"U0ADMIN"}) as fake, running_slack(fake, slack_data_dir) as slack:
            yield SlackDriver(slack, caplog)
