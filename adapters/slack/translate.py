"""Pure translation between Slack payloads and core types. No I/O, no slack-bolt imports.

Inbound: Slack's message markup (``<@U1|ann>``, ``<#C1|ward>``, ``<!here>``, links,
``&amp;``) becomes plain text the core can read (:func:`to_plain`); a message event
becomes a routed :class:`bot.types.Message` (:func:`route_message`); slash-command text
becomes a :class:`Command` (:func:`parse_command`).

Outbound: :func:`safe_mrkdwn` makes any text safe to echo: ``&``, ``<`` and ``>`` are
escaped (so no ``<!channel>``, ``<@U…>`` or ``<!subteam^…>`` survives) and the
broadcast words ``@here``, ``@channel`` and ``@everyone`` are broken with a word joiner,
then the result is clipped to a length limit counted the way Slack counts (UTF-16 units).

Every function here accepts any input without raising (Hypothesis checks this).
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot import Actor, Conversation, Message, Platform

ELLIPSIS = "…"
WORD_JOINER = "\u2060"
BROADCASTS = ("here", "channel", "everyone")
VALUE_LIMIT = 2000  # Slack's limit on a button's value

_TOKEN_RE = re.compile(r"<([^<>]*)>")
_BROADCAST_RE = re.compile(r"@(?=(?:here|channel|everyone)\b)", re.IGNORECASE)
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_CHANNEL_REF_RE = re.compile(r"^<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>$")
_CHANNEL_ID_RE = re.compile(r"^[CG][A-Z0-9]{2,}$")
_USER_ID_RE = re.compile(r"^[UW][A-Z0-9]{2,}$")
_SCREENED_SUBTYPES = frozenset({"", "file_share", "thread_broadcast", "message_changed", "me_message"})
_IMAGE_TYPES = ("image/", "video/")


# -- text -----------------------------------------------------------------------------
def _token_to_plain(body: str) -> str:
    """One ``<…>`` token as readable text that cannot ping anyone once escaped."""
    target, _, label = body.partition("|")
    if target.startswith("@"):
        return "@" + (label.lstrip("@") or "someone")
    if target.startswith("#"):
        return "#" + (label or "channel")
    if target.startswith("!"):
        name = target[1:]
        if name in BROADCASTS:
            return "@" + name
        if name.startswith("subteam^"):
            return "@" + (label.lstrip("@") or "group")
        return label or name.split("^", 1)[0]
    if target.startswith(("mailto:", "tel:")):
        return label or target.split(":", 1)[1]
    if label and label != target:
        return f"{label} ({target})"
    return target


def to_plain(text: str) -> str:
    """Slack message markup -> plain text: mentions become ``@name``, links their label
    and address, and ``&amp;``/``&lt;``/``&gt;`` their characters."""
    if not isinstance(text, str):
        return ""
    text = _TOKEN_RE.sub(lambda m: _token_to_plain(m.group(1)), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def slack_length(text: str) -> int:
    """Length as Slack counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def defuse(text: str) -> str:
    """Break ``@here``/``@channel``/``@everyone`` so they can never broadcast."""
    return _BROADCAST_RE.sub("@" + WORD_JOINER, text)


def safe_mrkdwn(text: str, limit: int | None = None) -> str:
    """``text`` escaped and defused for a Slack text field, clipped to ``limit`` UTF-16
    units with an ellipsis. The result contains no ``<`` or ``>``."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    pieces = [_ESCAPES.get(ch, ch) for ch in defuse(text)]
    whole = "".join(pieces)
    if limit is None or slack_length(whole) <= limit:
        return whole
    budget = max(0, limit - 1)
    out: list[str] = []
    used = 0
    for piece in pieces:
        size = len(piece) if piece.isascii() else slack_length(piece)
        if used + size > budget:
            break
        out.append(piece)
        used += size
    return "".join(out) + (ELLIPSIS if limit >= 1 else "")


def clip_plain(text: str, limit: int) -> str:
    """Clip plain text (button labels, headers) to ``limit`` UTF-16 units."""
    if slack_length(text) <= limit:
        return text
    out, used = [], 0
    for ch in text:
        size = slack_length(ch)
        if used + size > limit - 1:
            break
        out.append(ch)
        used += size
    return "".join(out) + ELLIPSIS


def user_ref(user_id: str) -> str:
    """``<@U…>`` for a well-formed user id from a verified payload, else ``someone``."""
    return f"<@{user_id}>" if isinstance(user_id, str) and _USER_ID_RE.fullmatch(user_id) else "someone"


def is_channel_id(value: object) -> bool:
    """Whether ``value`` is a well-formed public or private channel id (``C…``/``G…``)."""
    return isinstance(value, str) and _CHANNEL_ID_RE.fullmatch(value) is not None


def channel_ref(channel_id: str) -> str:
    """``<#C…>`` for a well-formed channel id, else ``this channel``."""
    return f"<#{channel_id}>" if is_channel_id(channel_id) else "this channel"


# -- payload access ----------------------------------------------------------------------
def text_of(data: Any, key: str) -> str:
    """``data[key]`` if ``data`` is a mapping and the value a string, else ``""``."""
    if isinstance(data, Mapping):
        value = data.get(key)
        if isinstance(value, str):
            return value
    return ""


def mapping_of(data: Any, key: str) -> Mapping[str, Any]:
    """``data[key]`` if it is a mapping, else an empty one."""
    if isinstance(data, Mapping):
        value = data.get(key)
        if isinstance(value, Mapping):
            return value
    return {}


# -- inbound messages --------------------------------------------------------------------
class Route(enum.StrEnum):
    """What to do with a message event."""

    IGNORE = "ignore"
    QUESTION = "question"  # a direct message to the bot: answer it
    SCREEN = "screen"  # a channel message: screen it if the channel is monitored


def _from_bot(data: Mapping[str, Any], bot_user_id: str) -> bool:
    return bool(
        data.get("bot_id")
        or data.get("bot_profile")
        or text_of(data, "subtype") == "bot_message"
        or (bot_user_id and text_of(data, "user") == bot_user_id)
    )


def _has_image(data: Mapping[str, Any]) -> bool:
    files = data.get("files")
    if not isinstance(files, list):
        return False
    return any(text_of(f, "mimetype").startswith(_IMAGE_TYPES) for f in files)


def route_message(event: Any, team_id: str, bot_user_id: str) -> tuple[Route, Message | None]:
    """Route a ``message`` event: ignore bots (ours and others), joins, deletions and
    edits that did not change what the message carries (link unfurls); answer DMs;
    screen the rest with everything it carries (:func:`adapters.slack.carried.carried_text`)."""
    if not isinstance(event, Mapping) or text_of(event, "type") != "message":
        return Route.IGNORE, None
    subtype = text_of(event, "subtype")
    if subtype not in _SCREENED_SUBTYPES or _from_bot(event, bot_user_id):
        return Route.IGNORE, None
    body: Mapping[str, Any] = event
    from adapters.slack.carried import blocks_text, carried_text  # (issue 19) imports this module

    if subtype == "message_changed":
        body = mapping_of(event, "message")
        if carried_text(body) == carried_text(mapping_of(event, "previous_message")):
            return Route.IGNORE, None
    user = text_of(body, "user")
    channel = text_of(event, "channel")
    if not user or not channel or _from_bot(body, bot_user_id):
        return Route.IGNORE, None
    is_direct = text_of(event, "channel_type") == "im"
    text = (to_plain(text_of(body, "text")) or blocks_text(body.get("blocks"))) if is_direct else carried_text(body)
    has_image = _has_image(body)
    if is_direct and (subtype == "message_changed" or not text.strip()):
        return Route.IGNORE, None
    if not text.strip() and not has_image:
        return Route.IGNORE, None
    message = Message(
        text=text,
        actor=Actor(user_id=user),
        conversation=Conversation(
            platform=Platform.SLACK,
            workspace=team_id,
            channel=channel,
            thread=text_of(body, "thread_ts"),
            is_direct=is_direct,
        ),
        ref=text_of(body, "ts"),
        has_image=has_image,
    )
    return (Route.QUESTION if is_direct else Route.SCREEN), message


def mention_question(text: str, bot_user_id: str) -> str:
    """The question in an ``app_mention``: the bot's own mention removed, markup made plain."""
    if not isinstance(text, str):
        return ""
    if bot_user_id:
        text = re.sub(r"<@" + re.escape(bot_user_id) + r"(?:\|[^>]*)?>", " ", text)
    return " ".join(to_plain(text).split())


# -- slash command -------------------------------------------------------------------------
class CommandKind(enum.StrEnum):
    HELP = "help"
    QUESTION = "question"
    SETTINGS = "settings"
    PROFESSION = "profession"


@dataclass(frozen=True)
class Command:
    """A parsed ``/gmc`` command. For SETTINGS, ``setting`` is ``""`` (show),
    ``"monitor"`` (value ``on``/``off``), ``"moderators"`` (value a channel id or ``""``) or
    ``"audience"`` (value an audience or ``""``); for PROFESSION, ``value`` is what followed
    ``profession`` (``""``: show it); ``error`` says what was wrong with the text."""

    kind: CommandKind
    question: str = ""
    setting: str = ""
    value: str = ""
    error: str = ""


SETTINGS_USAGE = (
    "Usage: `/gmc settings` (show), `/gmc settings monitor on|off`, "
    "`/gmc settings moderators #channel`, `/gmc settings moderators off`, "
    "`/gmc settings audience doctors|nurses|ahp|off`."
)
PROFESSION_COMMAND = "/gmc profession"
# bot.audience.AUDIENCES (tests/adapters/test_slack_translate.py checks they match).
AUDIENCES = ("doctors", "nurses", "ahp")


def _parse_settings(rest: str) -> Command:
    words = rest.split()
    if not words or words == ["show"]:
        return Command(CommandKind.SETTINGS)
    name = words[0].lower()
    arg = words[1] if len(words) == 2 else ""
    if name in ("monitor", "screening") and arg.lower() in ("on", "off"):
        return Command(CommandKind.SETTINGS, setting="monitor", value=arg.lower())
    if name in ("moderators", "moderator") and arg:
        if arg.lower() in ("off", "none"):
            return Command(CommandKind.SETTINGS, setting="moderators", value="")
        ref = _CHANNEL_REF_RE.match(arg)
        if ref or _CHANNEL_ID_RE.match(arg):
            return Command(CommandKind.SETTINGS, setting="moderators", value=ref.group(1) if ref else arg)
        return Command(
            CommandKind.SETTINGS,
            error="Name the moderators' channel with #, e.g. "
            "`/gmc settings moderators #ig-moderators`, and make sure I am a member of it.",
        )
    if name == "audience" and arg:
        if arg.lower() in ("off", "none", "clear"):
            return Command(CommandKind.SETTINGS, setting="audience", value="")
        if arg.lower() in AUDIENCES:
            return Command(CommandKind.SETTINGS, setting="audience", value=arg.lower())
        return Command(
            CommandKind.SETTINGS,
            error="Name whose guidance comes first here: `/gmc settings audience doctors`, `nurses` or `ahp` "
            "(`off` for the workspace default).",
        )
    return Command(CommandKind.SETTINGS, error="I didn't recognise that setting. " + SETTINGS_USAGE)


def parse_command(text: str) -> Command:
    """``/gmc`` text -> help, a settings request or a question (markup made plain)."""
    text = text if isinstance(text, str) else ""
    words = text.split(None, 1)
    if not words or (len(words) == 1 and words[0].lower() in ("help", "?")):
        return Command(CommandKind.HELP)
    if words[0].lower() == "settings":
        return _parse_settings(words[1] if len(words) > 1 else "")
    if words[0].lower() in ("profession", "role"):
        return Command(CommandKind.PROFESSION, value=" ".join(to_plain(words[1] if len(words) > 1 else "").split()))
    question = " ".join(to_plain(text).split())
    return Command(CommandKind.QUESTION, question=question) if question else Command(CommandKind.HELP)


# -- button values ---------------------------------------------------------------------------
# A button's value can be read by anyone who sees the message (and stays in exports), so it
# carries references only: the core's reference to the question (bot.questions), the cited
# paragraph ids and whether the answer was a low-confidence one. Never text a user typed.
_REF = re.compile(r"[0-9a-f]{1,32}")
_CITATION = re.compile(r"[A-Za-z0-9_.:*-]{1,100}")


@dataclass(frozen=True)
class ButtonValue:
    """What an answer's button carries."""

    ref: str = ""
    citation_ids: tuple[str, ...] = ()
    low_confidence: bool = False


def encode_value(ref: str, citation_ids: Sequence[str] = (), low_confidence: bool = False) -> str:
    """A button value of the question reference and the cited paragraph ids (at most five,
    within :data:`VALUE_LIMIT` characters); anything not shaped like an id is left out."""
    data: dict[str, Any] = {"r": ref if isinstance(ref, str) and _REF.fullmatch(ref) else ""}
    ids = [c for c in citation_ids if isinstance(c, str) and _CITATION.fullmatch(c)][:5]
    if low_confidence:
        data["l"] = 1
    while True:
        if ids:
            data["c"] = ids
        value = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
        if len(value) <= VALUE_LIMIT or not ids:
            return value
        ids = ids[:-1]
        data.pop("c", None)


def decode_value(value: Any) -> ButtonValue:
    """The :class:`ButtonValue` in :func:`encode_value`'s output; empty for anything else
    (ids not shaped like ids are dropped, so a forged value carries no text either)."""
    try:
        data = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return ButtonValue()
    if not isinstance(data, dict):
        return ButtonValue()
    ref, ids = data.get("r"), data.get("c")
    return ButtonValue(
        ref if isinstance(ref, str) and _REF.fullmatch(ref) else "",
        tuple(i for i in ids if isinstance(i, str) and _CITATION.fullmatch(i))[:5] if isinstance(ids, list) else (),
        data.get("l") == 1,
    )
