"""Everything a Slack message carries, as plain text to screen with it (issue 19).

Pure functions, no I/O, total on any input. :func:`carried_text` gathers, in order:

- the message's ``text`` (markup made plain);
- the text of its ``blocks`` (``rich_text`` sections, lists, quotes and preformatted
  text; ``section`` text and fields; ``context`` texts; image ``alt_text`` and titles)
  when it is not already the same as ``text`` (clients send both; a message posted by
  the API may carry only blocks);
- each attachment's ``pretext``, ``title``, ``text``, ``fallback``, ``footer`` and
  fields, and a shared message's own blocks (``message_blocks``), as the sharer's post;
  link previews (an attachment with ``from_url``/``original_url`` that is not a shared
  message) are the linked site's words, not the poster's, and are left out;
- each file's ``title``, ``name``, ``alt_txt`` and a snippet's ``preview``.

Pieces equal to one already taken are dropped, and the whole is capped at
:data:`CARRIED_LIMIT` characters, so a message can't grow without bound.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from adapters.slack.translate import to_plain

CARRIED_LIMIT = 40_000
MAX_DEPTH = 8
_ATTACHMENT_KEYS = ("pretext", "author_name", "title", "text", "fallback", "footer")
_FILE_KEYS = ("title", "name", "alt_txt", "preview", "plain_text")


def _s(data: Any, key: str) -> str:
    if isinstance(data, Mapping):
        value = data.get(key)
        if isinstance(value, str):
            return value
    return ""


def _list(data: Any, key: str) -> list[Any]:
    if isinstance(data, Mapping):
        value = data.get(key)
        if isinstance(value, list):
            return value
    return []


def _rich_inline(element: Any) -> str:
    """One inline element of a ``rich_text`` section."""
    kind = _s(element, "type")
    if kind == "text":
        return _s(element, "text")
    if kind == "link":
        return _s(element, "text") or _s(element, "url")
    if kind == "user":
        return "@someone"
    if kind == "usergroup":
        return "@group"
    if kind == "channel":
        return "#channel"
    if kind == "broadcast":
        return "@" + (_s(element, "range") or "here")
    if kind == "emoji":
        return f":{_s(element, 'name')}:" if _s(element, "name") else ""
    if kind == "date":
        return _s(element, "fallback")
    return ""


def _rich_text(element: Any, depth: int) -> Iterator[str]:
    """Lines of a ``rich_text`` block or one of its containers."""
    if depth > MAX_DEPTH:
        return
    kind = _s(element, "type")
    if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
        line = "".join(_rich_inline(e) for e in _list(element, "elements"))
        if line.strip():
            yield line
        return
    for child in _list(element, "elements"):
        yield from _rich_text(child, depth + 1)


def _text_object(obj: Any) -> str:
    text = _s(obj, "text")
    return to_plain(text) if _s(obj, "type") == "mrkdwn" else text


def blocks_text(blocks: Any, depth: int = 0) -> str:
    """The readable text of a list of Block Kit blocks, one line per piece."""
    lines: list[str] = []
    if not isinstance(blocks, list) or depth > MAX_DEPTH:
        return ""
    for block in blocks:
        kind = _s(block, "type")
        if kind == "rich_text":
            lines += _rich_text(block, depth + 1)
        elif kind in ("section", "header"):
            if isinstance(block, Mapping):
                lines.append(_text_object(block.get("text")))
            lines += [_text_object(f) for f in _list(block, "fields")]
        elif kind == "context":
            lines += [
                _text_object(e) if _s(e, "type") != "image" else _s(e, "alt_text") for e in _list(block, "elements")
            ]
        elif kind == "image":
            lines.append(_s(block, "alt_text"))
            if isinstance(block, Mapping):
                lines.append(_text_object(block.get("title")))
        elif kind == "markdown":
            lines.append(_s(block, "text"))
    return "\n".join(line for line in lines if line.strip())


def _is_link_preview(attachment: Any) -> bool:
    shared = isinstance(attachment, Mapping) and (
        attachment.get("is_share") or attachment.get("is_msg_unfurl") or _list(attachment, "message_blocks")
    )
    return bool(not shared and (_s(attachment, "from_url") or _s(attachment, "original_url")))


def _attachment_pieces(attachment: Any) -> Iterator[str]:
    if not isinstance(attachment, Mapping) or _is_link_preview(attachment):
        return
    for key in _ATTACHMENT_KEYS:
        yield to_plain(_s(attachment, key))
    for field in _list(attachment, "fields"):
        yield to_plain(_s(field, "title"))
        yield to_plain(_s(field, "value"))
    for shared in _list(attachment, "message_blocks"):
        message = shared.get("message") if isinstance(shared, Mapping) else None
        yield blocks_text(_list(message, "blocks"), 1)
    yield blocks_text(_list(attachment, "blocks"), 1)
    for file in _list(attachment, "files"):
        yield from _file_pieces(file)


def _file_pieces(file: Any) -> Iterator[str]:
    for key in _FILE_KEYS:
        yield _s(file, key)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def carried_text(body: Any) -> str:
    """The message's text and everything it carries (see the module docstring), one
    piece per paragraph, duplicates dropped, at most :data:`CARRIED_LIMIT` characters."""
    if not isinstance(body, Mapping):
        return ""
    text = to_plain(_s(body, "text"))
    pieces = [text, blocks_text(_list(body, "blocks"))]
    for attachment in _list(body, "attachments"):
        pieces += _attachment_pieces(attachment)
    for file in _list(body, "files"):
        pieces += _file_pieces(file)
    seen: set[str] = set()
    kept: list[str] = []
    for piece in pieces:
        key = _norm(piece)
        if not key or key in seen or (len(key) > 8 and any(key in _norm(k) for k in kept)):
            continue
        seen.add(key)
        kept.append(piece.strip() if kept else piece)
    return "\n".join(kept)[:CARRIED_LIMIT]
