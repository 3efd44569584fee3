"""A Discord channel's history for a back-scan (:mod:`bot.backscan`).

:class:`DiscordHistory` logs in over REST only (no gateway), looks the channel up
(``GET /channels/{id}``, for its server id) and reads ``GET /channels/{id}/messages``
oldest first with ``after`` paging (100 a page) through discord.py, whose HTTP client
keeps to Discord's per-route rate limits and waits out a 429's ``retry_after``. Each
message's snowflake id is its resume position: a later run asks for messages after it.

Each message is read as the live adapter reads it, with everything it carries
(:func:`adapters.discord.carried.carried_message`: forwards, attachment names and alt
text, small text files and, with ``read_image``, image text, all in memory). Bots,
webhooks and system messages are yielded without a message. Threads are channels of their
own on Discord and are not read yet (their settings are their parent's).

:func:`screenable` and :func:`messages_after` are shared with the catch-up after a restart
(:mod:`adapters.discord.catchup`), which reads a connected client's channels the same way.

discord.py is asynchronous and the back-scan is not: the client runs on an event loop in
a thread of its own, and :meth:`DiscordHistory.__call__` hands its items over one by one.
The bot needs View Channel and Read Message History in the channel, and the Message
Content intent switched on in the Developer Portal (without it Discord sends empty
``content``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import discord

from adapters.discord.carried import carried_message
from bot import Conversation, GmcbotError, HistoryItem, Platform, ScanJob

T = TypeVar("T")
SCREENED_TYPES = (discord.MessageType.default, discord.MessageType.reply)
JUMP = "https://discord.com/channels/{guild}/{channel}/{message}"
CLOSE_TIMEOUT = 10.0


def screenable(message: discord.Message) -> bool:
    """A person's own post (not a bot's, a webhook's or a system message): what is screened,
    live, in a back-scan or in a catch-up."""
    return not message.author.bot and message.webhook_id is None and message.type in SCREENED_TYPES


def messages_after(
    channel: discord.abc.Messageable, after: discord.abc.Snowflake | datetime, limit: int | None = None
) -> AsyncIterator[discord.Message]:
    """``channel``'s messages after ``after``, oldest first (``after`` paging, 100 a page,
    within Discord's rate limits); at most ``limit`` (None: to the newest)."""
    return channel.history(limit=limit, after=after, oldest_first=True)


async def _next(items: AsyncGenerator[HistoryItem, None]) -> HistoryItem | None:
    try:
        return await items.__anext__()
    except StopAsyncIteration:
        return None


class HistoryError(GmcbotError):
    """Discord refused the token or the channel."""


class DiscordHistory:
    """Callable as ``history(position)`` for :func:`bot.backscan.back_scan`; ``close()`` after."""

    def __init__(self, token: str, job: ScanJob, *, read_image: Any = None, api_url: str = "") -> None:
        self.job = job
        self.read_image = read_image
        self.guild_id = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="discord-history", daemon=True)
        self._thread.start()
        from adapters.discord.runner import set_api_base  # here: the runner imports this module's helpers

        set_api_base(api_url)
        try:
            self.client: discord.Client = self._run(self._open(token))
        except BaseException:
            self._stop_loop()
            raise

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    async def _open(self, token: str) -> discord.Client:
        client = discord.Client(intents=discord.Intents.none())
        try:
            await client.login(token)
            data = await client.http.get_channel(int(self.job.channel))
        except discord.LoginFailure:
            await client.close()
            raise HistoryError("Discord refused the token: set DISCORD_TOKEN to the bot's token") from None
        except (discord.NotFound, discord.Forbidden) as exc:
            await client.close()
            raise HistoryError(
                f"Discord answered {exc.status} for channel {self.job.channel}: check the id, and give the bot "
                "View Channel and Read Message History there"
            ) from None
        self.guild_id = int(str(data.get("guild_id") or 0))
        if not self.guild_id:
            await client.close()
            raise HistoryError(f"channel {self.job.channel} is not in a server: only server channels are scanned")
        return client

    def _progress(self, when: datetime) -> float:
        span = self.job.until - self.job.since
        return min(1.0, max(0.0, (when.timestamp() - self.job.since) / span)) if span > 0 else 1.0

    async def _items(self, position: str) -> AsyncGenerator[HistoryItem, None]:
        after: discord.abc.Snowflake | datetime = (
            discord.Object(int(position)) if position else datetime.fromtimestamp(self.job.since, UTC)
        )
        channel = self.client.get_partial_messageable(int(self.job.channel), guild_id=self.guild_id)
        async for message in messages_after(channel, after):
            if message.created_at.timestamp() >= self.job.until:
                return
            pos, progress = str(message.id), self._progress(message.created_at)
            if not screenable(message):
                yield HistoryItem(None, pos, progress)
                continue
            core = await carried_message(message, self.read_image)
            conversation = Conversation(Platform.DISCORD, str(self.guild_id), self.job.channel)
            ref = JUMP.format(guild=self.guild_id, channel=self.job.channel, message=message.id)
            yield HistoryItem(dataclasses.replace(core, conversation=conversation, ref=ref), pos, progress)

    def __call__(self, position: str) -> Iterator[HistoryItem]:
        items = self._items(position)
        try:
            while True:
                future = asyncio.run_coroutine_threadsafe(_next(items), self._loop)
                try:
                    item = future.result()
                except BaseException:  # Ctrl+C while a page is read: stop reading it
                    future.cancel()
                    raise
                if item is None:
                    return
                yield item
        finally:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(items.aclose(), self._loop).result(CLOSE_TIMEOUT)

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def close(self) -> None:
        """Log out and stop the event loop's thread."""
        if self._loop.is_closed():
            return
        try:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self.client.close(), self._loop).result(CLOSE_TIMEOUT)
        finally:
            self._stop_loop()
