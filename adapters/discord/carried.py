"""Everything a Discord message carries, screened with it (issue 19).

:func:`carried_text` (pure) gathers the message's content; each attachment's file name,
title and description (Discord's alt text); each forwarded message's content and
attachments (``message_snapshots``: a forward is screened as the forwarder's post); and
the text of small text attachments already fetched. Link embeds are left out: they are
the linked site's words, not the poster's.

:func:`fetch_texts` reads small text attachments (``text/*`` or a ``.txt``/``.csv``/
``.md``/``.log`` name, such as the ``message.txt`` Discord makes of a long message) into
memory: at most :data:`MAX_TEXT_FILES` per message, each at most :data:`TEXT_SIZE_CAP`
bytes (by the size Discord declares, and checked again after reading), within
:data:`FETCH_TIMEOUT` seconds all told. Nothing is written to disk; a file that fails or
is too big is skipped (logged by id only).

:func:`fetch_images` reads image attachments into memory under the same kind of limits,
for :meth:`bot.service.GuidanceBot.read_image`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence

import discord

from adapters.discord.translate import has_image, message_to_core
from bot import Message

log = logging.getLogger(__name__)

CARRIED_LIMIT = 40_000
TEXT_SIZE_CAP = 64 * 1024
MAX_TEXT_FILES = 3
IMAGE_SIZE_CAP = 8 * 1024 * 1024
MAX_IMAGES = 4
FETCH_TIMEOUT = 10.0
_TEXT_SUFFIXES = (".txt", ".csv", ".md", ".log", ".tsv")


def _attachments(message: discord.Message) -> list[discord.Attachment]:
    """The message's attachments and those of the messages it forwards."""
    out = list(message.attachments)
    for snapshot in getattr(message, "message_snapshots", None) or ():
        out += list(snapshot.attachments)
    return out


def _attachment_pieces(attachment: discord.Attachment) -> list[str]:
    return [attachment.filename or "", getattr(attachment, "title", None) or "", attachment.description or ""]


def is_text_file(attachment: discord.Attachment) -> bool:
    ctype = (attachment.content_type or "").split(";", 1)[0].strip().lower()
    return ctype.startswith("text/") or (not ctype and attachment.filename.lower().endswith(_TEXT_SUFFIXES))


def is_image_file(attachment: discord.Attachment) -> bool:
    return (attachment.content_type or "").lower().startswith("image/")


def carried_text(message: discord.Message, fetched: Mapping[int, str] | None = None) -> str:
    """Content, attachment names and alt text, forwarded messages and fetched text files,
    one piece per paragraph, duplicates dropped, at most :data:`CARRIED_LIMIT` characters."""
    pieces = [message.content or ""]
    for attachment in message.attachments:
        pieces += _attachment_pieces(attachment)
    for snapshot in getattr(message, "message_snapshots", None) or ():
        pieces.append(snapshot.content or "")
        for attachment in snapshot.attachments:
            pieces += _attachment_pieces(attachment)
    pieces += (fetched or {}).values()
    seen: set[str] = set()
    kept: list[str] = []
    for piece in pieces:
        key = " ".join(piece.split()).casefold()
        if not key or key in seen:
            continue
        seen.add(key)
        kept.append(piece if not kept else piece.strip())
    return "\n".join(kept)[:CARRIED_LIMIT]


def carries_image(message: discord.Message) -> bool:
    return has_image(message) or any(is_image_file(a) for a in _attachments(message))


async def _read(attachment: discord.Attachment, cap: int) -> bytes | None:
    if attachment.size > cap:
        log.info("attachment %s skipped: %d bytes is over the cap", attachment.id, attachment.size)
        return None
    try:
        data = await attachment.read()
    except (discord.HTTPException, discord.DiscordException, OSError) as exc:
        log.info("attachment %s could not be read: %s", attachment.id, type(exc).__name__)
        return None
    return data if len(data) <= cap else None


async def _read_all(attachments: Sequence[discord.Attachment], cap: int, timeout: float) -> dict[int, bytes]:
    if not attachments:
        return {}
    tasks = {a.id: asyncio.ensure_future(_read(a, cap)) for a in attachments}
    done, pending = await asyncio.wait(tasks.values(), timeout=timeout)
    for task in pending:
        task.cancel()
    if pending:
        log.info("%d attachment(s) not read within %.0f s", len(pending), timeout)
    return {
        aid: data
        for aid, task in tasks.items()
        if task in done and not task.cancelled() and task.exception() is None and (data := task.result())
    }


async def fetch_texts(message: discord.Message, timeout: float = FETCH_TIMEOUT) -> dict[int, str]:
    """Small text attachments read into memory, by attachment id."""
    wanted = [a for a in _attachments(message) if is_text_file(a)][:MAX_TEXT_FILES]
    raw = await _read_all(wanted, TEXT_SIZE_CAP, timeout)
    return {aid: data.decode("utf-8", "replace") for aid, data in raw.items()}


async def fetch_images(message: discord.Message, timeout: float = FETCH_TIMEOUT) -> list[bytes]:
    """Image attachments read into memory (never to disk)."""
    wanted = [a for a in _attachments(message) if is_image_file(a)][:MAX_IMAGES]
    raw = await _read_all(wanted, IMAGE_SIZE_CAP, timeout)
    return [raw[a.id] for a in wanted if a.id in raw]


async def carried_message(message: discord.Message, read_image: Callable[[bytes], str] | None = None) -> Message:
    """The core message for ``message`` with everything it carries (text files fetched);
    with ``read_image`` (:meth:`bot.service.GuidanceBot.read_image`, run in a worker
    thread), the text of its images too."""
    fetched = await fetch_texts(message)
    text = carried_text(message, fetched)
    more: list[str] = []
    if read_image is not None:
        for data in await fetch_images(message):
            more.append(await asyncio.to_thread(read_image, data))
    more = [t for t in more if t.strip()]
    if more:
        text = "\n".join([text, *more])[:CARRIED_LIMIT]
    return dataclasses.replace(message_to_core(message), text=text, has_image=carries_image(message))
