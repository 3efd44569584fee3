"""The adapter contract suite (``tests/adapters/contract.py``) run against Teams: the real
Teams SDK app served on port 0 (local testing mode), replying to the fake Bot Connector."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.records import Records
from bot.service import GuidanceBot
from bot.types import FlagStatus
from tests.adapters.contract import AdapterContract, Delivered
from tests.adapters.teams_world import MODS, PERSONAL_CHAT, POSTER, TeamsWorld, teams_world
from tests.fakes.teams_connector import Call

pytestmark = pytest.mark.asyncio
STRANGER = "29:3StrangerJkl"


def shown(card: Any) -> str:
    """What a card displays: its TextBlocks' text (Markdown escapes removed), then its links."""
    if not isinstance(card, dict):
        return ""
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock" and isinstance(node.get("text"), str):
                texts.append(node["text"].replace("\\", ""))
            if node.get("type") == "Action.OpenUrl" and isinstance(node.get("url"), str):
                texts.append(node["url"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return "\n".join(texts)


class TeamsDriver:
    """:class:`tests.adapters.contract.PlatformDriver` for Teams."""

    def __init__(self, world: TeamsWorld, caplog: pytest.LogCaptureFixture) -> None:
        self.world = world
        self.guidance: GuidanceBot = world.guidance
        self.records: Records = world.records
        self._caplog = caplog
        self._responses: list[Any] = []

    def _delivered(self, before: int, response: Any = None) -> Delivered:
        got = Delivered()
        time.sleep(0.3)  # deliveries are awaited before the HTTP response; a margin for slow machines
        for call in self.world.connector.calls[before:]:
            if call.method != "POST" or not call.path.endswith("/activities"):
                continue
            text = "\n".join(shown(a.get("content")) for a in call.body.get("attachments", []))
            audience = self._audience(call)
            getattr(got, audience).append(text)
            got.flag_ids += [
                str(a.get("data", {}).get("flag"))
                for att in call.body.get("attachments", [])
                for a in att.get("content", {}).get("actions", [])
                if a.get("verb") == "gmc.flag"
            ]
        if isinstance(response, dict) and "value" in response:
            value = response["value"]
            got.private.append(value if isinstance(value, str) else shown(value))
        return got

    @staticmethod
    def _audience(call: Call) -> str:
        conversation = call.path[len("/v3/conversations/") : -len("/activities")]
        if call.query.get("isTargetedActivity") == ["true"] or conversation == PERSONAL_CHAT:
            return "private"
        if conversation.startswith("a:chat-"):
            return "private"
        if conversation == MODS:
            return "moderators"
        return "public"

    async def ask(self, question: str) -> Delivered:
        before = len(self.world.connector.calls)
        await asyncio.to_thread(self.world.post, self.world.personal(question))
        return self._delivered(before)

    async def post(self, text: str) -> Delivered:
        before = len(self.world.connector.calls)
        await asyncio.to_thread(self.world.post, self.world.channel(text))
        return self._delivered(before)

    async def monitor(self, on: bool = True, moderators: bool = True) -> None:
        if on:
            self.world.monitor(moderators=MODS if moderators else "")

    async def decide(self, flag_id: str, status: FlagStatus, *, as_poster: bool) -> Delivered:
        before = len(self.world.connector.calls)
        data = {"role": "poster", "status": status.value, "flag": flag_id}
        activity = self.world.click(data, POSTER if as_poster else STRANGER, personal=True)
        response = await asyncio.to_thread(self.world.post, activity)
        body = response.json()
        self._responses.append(body)
        return self._delivered(before, body)

    async def break_core(self) -> None:
        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the core is down")

        self.guidance.ask = broken  # type: ignore[method-assign]

    def sent_everything(self) -> str:
        bodies = [c.body for c in self.world.connector.calls] + self._responses
        return "\n".join(json.dumps(b, ensure_ascii=False, default=str) for b in bodies)

    def log_text(self) -> str:
        return self._caplog.text


class TestTeamsContract(AdapterContract):
    @pytest.fixture
    def platform(self, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[TeamsDriver]:
        caplog.set_level(logging.DEBUG)
        with teams_world(tmp_path) as world:
            yield TeamsDriver(world, caplog)
