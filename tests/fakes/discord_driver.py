"""Drives a real discord.py client without a gateway: the ONE module that touches
discord.py's private API, so an upgrade breaks one place.

- inbound messages and guilds go through discord.py's own gateway parsers
  (``client._connection.parse_message_create`` / ``parse_guild_create``);
- slash commands run through real :class:`discord.Interaction` objects and the command
  tree (``tree._call``); button clicks through the gateway parser
  (``parse_interaction_create``), which dispatches the dynamic items.

After feeding an event, :meth:`DiscordDriver.settle` waits for the tasks discord.py and
the adapter started (listeners, item callbacks, ``asyncio.to_thread`` calls).
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import discord
from discord.ext import commands

from tests.fakes.discord_payloads import Json


class DiscordDriver:
    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def login(self, token: str) -> None:
        """Real login over HTTP (GET /users/@me, /oauth2/applications/@me), then setup_hook."""
        await self.client.login(token)

    def guild_create(self, payload: Json) -> discord.Guild:
        self.client._connection.parse_guild_create(payload)
        guild = self.client.get_guild(int(payload["id"]))
        assert guild is not None
        return guild

    async def message_create(self, payload: Json) -> None:
        """Feed a MESSAGE_CREATE event and wait for the listeners to finish."""
        await self._settling(lambda: self.client._connection.parse_message_create(cast(Any, payload)))

    async def message_update(self, payload: Json) -> None:
        """Feed a MESSAGE_UPDATE event (an edit) and wait for the listeners to finish."""
        await self._settling(lambda: self.client._connection.parse_message_update(cast(Any, payload)))

    async def ready(self) -> None:
        """Dispatch ``on_ready`` as discord.py does once a new gateway session's servers
        have arrived (a start, or a reconnect whose RESUME failed), and wait for what the
        listeners start (the catch-up)."""
        await self._settling(lambda: self.client.dispatch("ready"))

    async def resumed(self) -> None:
        """Feed a RESUMED event (a gateway session resumed) and wait for the listeners."""
        await self._settling(lambda: self.client._connection.parse_resumed(cast(Any, {})))

    async def slash_command(self, payload: Json) -> None:
        """Run an application command interaction through the tree (awaited to completion)."""
        interaction: Any = discord.Interaction(data=cast(Any, payload), state=self.client._connection)
        assert isinstance(self.client, commands.Bot), "slash commands need the bot's command tree"
        await self._settling_coro(self.client.tree._call(interaction))

    async def interaction_create(self, payload: Json) -> None:
        """Feed an INTERACTION_CREATE event (e.g. a button click) and wait for its handlers."""
        await self._settling(lambda: self.client._connection.parse_interaction_create(cast(Any, payload)))

    def message_object(self, payload: Json) -> discord.Message:
        """A :class:`discord.Message` built from a payload by discord.py's own constructor,
        in a channel known only by id (for translation tests without a running client)."""
        state = self.client._connection
        guild_id = int(payload["guild_id"]) if "guild_id" in payload else None
        channel = discord.PartialMessageable(state=state, id=int(payload["channel_id"]), guild_id=guild_id)
        return discord.Message(state=state, channel=channel, data=payload)  # type: ignore[arg-type]

    async def close(self) -> None:
        await self.client.close()

    # -- waiting ------------------------------------------------------------------------
    async def _settling(self, feed) -> None:
        before = asyncio.all_tasks()
        feed()
        await self._wait_new(before)

    async def _settling_coro(self, coro) -> None:
        before = asyncio.all_tasks()
        await coro
        await self._wait_new(before)

    @staticmethod
    async def _wait_new(before: set[asyncio.Task[object]], timeout: float = 15.0) -> None:
        """Wait until every task started since ``before`` (and their children) is done."""
        me = asyncio.current_task()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            pending = {t for t in asyncio.all_tasks() if t not in before and t is not me and not t.done()}
            if not pending:
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{len(pending)} task(s) still running: {[t.get_coro() for t in pending]}")
            await asyncio.wait(pending, timeout=remaining)


def point_gateway_at(url: str) -> Any:
    """Make discord.py open its gateway websocket at ``url`` (it has a fixed default);
    returns the previous value for :func:`restore_gateway`."""
    from discord.gateway import DiscordWebSocket

    previous = DiscordWebSocket.DEFAULT_GATEWAY
    DiscordWebSocket.DEFAULT_GATEWAY = __import__("yarl").URL(url)
    return previous


def restore_gateway(previous: Any) -> None:
    from discord.gateway import DiscordWebSocket

    DiscordWebSocket.DEFAULT_GATEWAY = previous
