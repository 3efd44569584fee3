"""Discord catch-up: screen what was posted in monitored channels while the bot was away.

Discord keeps no events for a bot that is not connected, and a gateway session that cannot
be resumed starts afresh without the events it missed. So on each ``READY`` (a start, or a
new session after a failed RESUME) and each ``RESUMED``, :class:`CatchUp` reads every
monitored channel's history after the last message id seen there and hands each person's
post to the live path (the cog's ``handle``): the same claim (``message:<id>``), screening,
notices, moderators' notes and records as a live message, so a message that also arrives
live is screened once.

Contract:

- **Positions** (:class:`Positions` over :class:`bot.LastSeen`,
  ``<data dir>/catchup/discord.json``): per monitored channel the last message id handled,
  written after the message was handled (live or caught up), ids only. While a channel
  catches up, the positions of its live messages are held in memory and written when its
  catch-up ends, so a crash mid catch-up starts the next one where this one was, not past
  the gap. Before the first catch-up of a process every channel is held.
- **Bounds**: at most ``discord_catchup_max_messages`` messages read per channel and run
  (0 turns catch-up off), none older than ``discord_catchup_max_age_minutes``; past the
  count the rest of the gap is skipped, and the log says so.
- **A channel never seen before** (monitored, no position) starts from now: its history is
  not read (``gmcbot scan discord`` is for that).
- A channel whose history cannot be read (no Read Message History, an HTTP error) is logged
  and moves on to what was seen live: its gap is not screened.
- One log line per channel with counts; never text or user ids. Threads are not caught up
  (their messages still count for their parent's settings when they arrive live).
- One run at a time: a ``READY`` or ``RESUMED`` during a run starts one more run after it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aiohttp
import discord

from adapters.discord.history import messages_after, screenable
from bot import Handling, LastSeen

log = logging.getLogger(__name__)
T = TypeVar("T")


def snowflake_at(seconds: float, high: bool = False) -> int:
    """The smallest snowflake of a moment (Unix seconds): ``after=`` it reads from then on;
    with ``high``, the largest, so a position there counts every message of that
    millisecond as seen."""
    return discord.utils.time_snowflake(datetime.fromtimestamp(seconds, UTC), high=high)


class Positions:
    """The last message id handled per channel, written through :class:`bot.LastSeen`,
    with live positions held back while a channel catches up (see the module's contract).
    Thread-safe; :meth:`seen_live` and :meth:`advance` may write a file, so call them off
    the event loop."""

    def __init__(self, marks: LastSeen) -> None:
        self.marks = marks
        self._lock = threading.Lock()
        self._held: set[str] | None = None  # None: no catch-up has begun; hold every channel
        self._pending: dict[str, int] = {}

    def last(self, channel: str) -> int | None:
        return self.marks.get(channel)

    def hold(self, channels: Iterable[str]) -> None:
        """A catch-up begins for ``channels``: hold their live positions; write the held
        positions of every other channel."""
        with self._lock:
            self._held = set(channels)
            free = {c: p for c, p in self._pending.items() if c not in self._held}
            for channel in free:
                del self._pending[channel]
        for channel, position in free.items():
            self.marks.advance(channel, position)

    def seen_live(self, channel: str, message_id: int) -> None:
        """A live message in ``channel`` was handled."""
        with self._lock:
            if self._held is None or channel in self._held:
                self._pending[channel] = max(message_id, self._pending.get(channel, 0))
                return
        self.marks.advance(channel, message_id)

    def advance(self, channel: str, message_id: int) -> None:
        """The catch-up of ``channel`` handled ``message_id``."""
        self.marks.advance(channel, message_id)

    def release(self, channel: str, position: int = 0) -> None:
        """``channel``'s catch-up ended at ``position`` (0: where it stood): write that or the
        newest live position held, whichever is later, and stop holding."""
        with self._lock:
            if self._held is not None:
                self._held.discard(channel)
            position = max(position, self._pending.pop(channel, 0))
        if position:
            self.marks.advance(channel, position)


@dataclass
class ChannelCatchUp:
    """What one channel's catch-up did (logged; never text)."""

    channel: str
    read: int = 0
    handled: dict[str, int] | None = None  # Handling value -> count
    first_seen: bool = False  # no position: started from now
    older_skipped: bool = False  # the position was older than the age bound
    limit_reached: bool = False  # more messages than the bound: the rest skipped
    failed: str = ""  # e.g. "HTTP 403 code 50001"

    def count(self, handling: Handling | None) -> None:
        if handling is not None:
            self.handled = self.handled or {}
            self.handled[handling.value] = self.handled.get(handling.value, 0) + 1

    def log(self) -> None:
        handled = self.handled or {}
        log.info(
            "discord catch-up channel=%s read=%d screened=%d flagged=%d duplicate=%d first_seen=%s "
            "older_skipped=%s limit_reached=%s%s",
            self.channel,
            self.read,
            handled.get(Handling.CLEAR.value, 0) + handled.get(Handling.FLAGGED.value, 0),
            handled.get(Handling.FLAGGED.value, 0),
            handled.get(Handling.DUPLICATE.value, 0),
            self.first_seen,
            self.older_skipped,
            self.limit_reached,
            f" failed={self.failed}" if self.failed else "",
        )


class CatchUp:
    """Runs catch-ups for a connected client.

    ``channels()`` lists the channels the client can see (text channels of its servers);
    ``monitored(channel)`` says whether one is screened and ``handle(message)`` works one
    message as the live path does (returning its handling, or None), both called through
    ``run_sync`` or awaited as given: ``monitored`` is synchronous (a store read) and runs
    through ``run_sync`` (the cog's work pool), as do position writes."""

    def __init__(
        self,
        positions: Positions,
        *,
        max_messages: int,
        max_age: timedelta,
        channels: Callable[[], Sequence[discord.TextChannel]],
        monitored: Callable[[discord.TextChannel], bool],
        handle: Callable[[discord.Message], Awaitable[Handling | None]],
        run_sync: Callable[..., Awaitable[Any]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.positions = positions
        self.max_messages = max_messages
        self.max_age = max_age
        self.channels = channels
        self.monitored = monitored
        self.handle = handle
        self.run_sync = run_sync
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        self._again = False

    # -- scheduling ---------------------------------------------------------------------
    def request(self, why: str) -> None:
        """Catch up soon (``why``: ``ready`` or ``resumed``, for the log); during a run,
        once more after it. Call on the event loop."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        log.info("discord catch-up after %s", why)
        self._task = asyncio.get_running_loop().create_task(self._runs(), name="gmcbot-discord-catchup")

    async def _runs(self) -> None:
        while True:
            self._again = False
            try:
                await self.run()
            except Exception as exc:  # noqa: BLE001 - logged by type; the next READY tries again
                log.error("discord catch-up failed: %s", type(exc).__name__)
            if not self._again:
                return

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    # -- one run ------------------------------------------------------------------------
    async def run(self) -> list[ChannelCatchUp]:
        """Catch up every monitored channel in turn; returns what each did."""
        candidates = list(self.channels())
        flags = [await self.run_sync(self.monitored, c) for c in candidates]
        channels = [c for c, on in zip(candidates, flags, strict=True) if on]
        if self.max_messages <= 0:
            await self.run_sync(self.positions.hold, ())
            return []
        await self.run_sync(self.positions.hold, [str(c.id) for c in channels])
        return [await self._channel(channel) for channel in channels]

    async def _channel(self, channel: discord.TextChannel) -> ChannelCatchUp:
        """One channel: read after its position (within the bounds), hand over each post,
        then release its position: to now when read to the end or past the bound, to the
        last message handled when reading failed. Cancelled (shutdown), nothing is
        released, so the next start catches up again from the last message handled."""
        now = self.clock()
        done = ChannelCatchUp(str(channel.id))
        last = self.positions.last(done.channel)
        end = snowflake_at(now, high=True)  # ids of this millisecond share its timestamp bits
        if last is None:
            done.first_seen = True
        else:
            try:
                await self._read(channel, last, now, done)
            except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
                end = 0
                status = f"HTTP {exc.status} code {exc.code}" if isinstance(exc, discord.HTTPException) else ""
                done.failed = status or type(exc).__name__
                log.warning(
                    "discord catch-up cannot read channel %s (%s): the bot needs View Channel and Read Message "
                    "History there; what was posted while it was away is not screened",
                    done.channel,
                    done.failed,
                )
        await self.run_sync(self.positions.release, done.channel, end)
        done.log()
        return done

    async def _read(self, channel: discord.TextChannel, last: int, now: float, done: ChannelCatchUp) -> None:
        floor = snowflake_at(now - self.max_age.total_seconds())
        done.older_skipped = last < floor
        after = discord.Object(max(last, floor))
        async for message in messages_after(channel, after, limit=self.max_messages + 1):
            if done.read >= self.max_messages:
                done.limit_reached = True
                return
            done.read += 1
            if screenable(message):
                done.count(await self.handle(message))
            await self.run_sync(self.positions.advance, done.channel, message.id)
