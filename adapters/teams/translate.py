"""Pure translation from Bot Framework activities (the JSON Teams posts to
``/api/messages``) to what the core needs.

An inbound message activity becomes an :class:`Inbound`: what kind of turn it is (a question
in a one-to-one chat, a question addressed to the bot with ``@gmcbot`` in a channel or group
chat, a channel message to screen, or nothing for the bot), the core :class:`bot.types.Message`
and where to answer (service URL, conversation, activity ids).

Contract: every function here is total (never raises on any JSON, however malformed) and
does no I/O. Text is taken from ``text`` with the bot's own ``<at>`` mention removed, HTML
tags dropped and entities decoded; nothing here logs.
"""

from __future__ import annotations

import enum
import html
import re
from dataclasses import dataclass
from typing import Any

from bot import Actor, Conversation, Message, Platform

Json = dict[str, Any]

_AT_TAG = re.compile(r"<at(?:\s[^>]*)?>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<\s*(?:br|/p|/div|/li)\s*/?\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,2000}>")
_SPACES = re.compile(r"[ \t\u00a0]+")


class Kind(enum.StrEnum):
    """What an inbound message activity asks of the bot."""

    PERSONAL_QUESTION = "personal"  # any message in a one-to-one chat with the bot
    MENTION_QUESTION = "mention"  # @gmcbot QUESTION in a channel or group chat
    CHANNEL_MESSAGE = "channel"  # a channel message not addressed to the bot (screened if monitored)
    IGNORE = "ignore"  # the bot's own, another bot's, or not a message


@dataclass(frozen=True)
class Inbound:
    """One message activity, translated."""

    kind: Kind
    message: Message  # the whole text (mention removed) as the core sees it
    question: str  # for questions: the text without the bot's mention
    activity_id: str
    service_url: str
    conversation_id: str  # as Teams gives it (a channel thread carries ";messageid=")
    user_id: str  # the Bot Framework id of the sender (29:...), for sending to them
    # (the core's actor is the sender's Entra object id when Teams gives it, so a message,
    # a button click and a report name the same person the same way)
    user_name: str
    tenant_id: str


def _obj(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def plain_text(text: str, bot_id: str = "", mentions: list[Json] | None = None) -> str:
    """The readable text of a Teams message: the bot's ``<at>`` mention removed (other
    people's mentions kept as their names), line breaks kept, other HTML tags dropped and
    entities decoded."""
    bot_tags = {
        _str(m.get("text"))
        for m in mentions or []
        if _str(m.get("type")) == "mention" and _str(_obj(m.get("mentioned")).get("id")) == bot_id and bot_id
    }
    for tag in bot_tags:
        if tag:
            text = text.replace(tag, " ")
    text = _AT_TAG.sub(lambda m: m.group(1), text)
    text = _BREAK.sub("\n", text)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def mentions_bot(activity: Json) -> bool:
    """True when a mention entity names the recipient (the bot)."""
    bot_id = _str(_obj(activity.get("recipient")).get("id"))
    entities = activity.get("entities")
    if not bot_id or not isinstance(entities, list):
        return False
    return any(
        isinstance(e, dict) and e.get("type") == "mention" and _str(_obj(e.get("mentioned")).get("id")) == bot_id
        for e in entities
    )


def channel_ids(activity: Json) -> tuple[str, str]:
    """(team, channel) of a channel activity from ``channelData``: the team's ``aadGroupId``
    (the ``groupId`` in a channel's link) or else its id; a thread's conversation id
    (``19:...@thread.tacv2;messageid=...``) falls back to its channel part."""
    data = _obj(activity.get("channelData"))
    team_obj = _obj(data.get("team"))
    team = _str(team_obj.get("aadGroupId")) or _str(team_obj.get("id"))
    channel = _str(_obj(data.get("channel")).get("id"))
    if not channel:
        channel = _str(_obj(activity.get("conversation")).get("id")).split(";", 1)[0]
    return team, channel


def thread_id(conversation_id: str) -> str:
    """The root message id of a channel thread (``;messageid=N``), or ``""``."""
    _, _, rest = conversation_id.partition(";messageid=")
    return rest


def tenant_of(activity: Json) -> str:
    conv = _obj(activity.get("conversation"))
    return _str(conv.get("tenantId")) or _str(_obj(_obj(activity.get("channelData")).get("tenant")).get("id"))


def inbound(activity: Json) -> Inbound:
    """Translate one activity (any JSON object) into an :class:`Inbound`."""
    activity = _obj(activity)
    sender = _obj(activity.get("from"))
    recipient = _obj(activity.get("recipient"))
    conv = _obj(activity.get("conversation"))
    bot_id = _str(recipient.get("id"))
    user_id = _str(sender.get("id"))
    conversation_id = _str(conv.get("id"))
    kind_of_chat = _str(conv.get("conversationType")) or "personal"
    raw_entities = activity.get("entities")
    entities = [e for e in raw_entities if isinstance(e, dict)] if isinstance(raw_entities, list) else []
    text = plain_text(_str(activity.get("text")), bot_id, entities)
    is_bot = _str(sender.get("role")) == "bot" or (bool(user_id) and user_id == bot_id) or user_id.startswith("28:")
    if activity.get("type") != "message" or not user_id or is_bot:
        kind = Kind.IGNORE
    elif kind_of_chat == "personal":
        kind = Kind.PERSONAL_QUESTION
    elif mentions_bot(activity):
        kind = Kind.MENTION_QUESTION
    elif kind_of_chat == "channel":
        kind = Kind.CHANNEL_MESSAGE
    else:
        kind = Kind.IGNORE  # a group chat message not addressed to the bot: not ours to read
    team, channel = channel_ids(activity) if kind_of_chat == "channel" else ("", conversation_id)
    core = Message(
        text=text,
        actor=Actor(user_id=_str(sender.get("aadObjectId")) or user_id, is_bot=is_bot),
        conversation=Conversation(
            platform=Platform.TEAMS,
            workspace=team,
            channel=channel,
            thread=thread_id(conversation_id),
            is_direct=kind_of_chat == "personal",
        ),
        ref=_str(activity.get("id")),
    )
    return Inbound(
        kind=kind,
        message=core,
        question=text,
        activity_id=_str(activity.get("id")),
        service_url=_str(activity.get("serviceUrl")),
        conversation_id=conversation_id,
        user_id=user_id,
        user_name=_str(sender.get("name")),
        tenant_id=tenant_of(activity),
    )


@dataclass(frozen=True)
class CardAction:
    """An ``Action.Execute`` from one of our cards (``adaptiveCard/action`` invoke)."""

    verb: str
    role: str  # "poster" or "mod" for flag outcomes
    status: str
    flag_id: str


_FLAG_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def card_action(activity: Json) -> CardAction | None:
    """The flag outcome an ``adaptiveCard/action`` invoke carries, or None when it is not one
    of ours or is malformed (a forged flag id is refused here, before any lookup)."""
    value = _obj(_obj(activity).get("value"))
    action = _obj(value.get("action"))
    verb = _str(action.get("verb"))
    data = _obj(action.get("data"))
    role, status, flag_id = _str(data.get("role")), _str(data.get("status")), _str(data.get("flag"))
    if verb != "gmc.flag" or role not in ("poster", "mod") or not _FLAG_ID.fullmatch(flag_id):
        return None
    if status not in ("removed", "false_alarm", "confirmed"):
        return None
    return CardAction(verb, role, status, flag_id)


def extension_question(activity: Json) -> str:
    """The question typed into the ``ask`` message-extension command (``composeExtension/
    submitAction``), or ``""``."""
    value = _obj(_obj(activity).get("value"))
    data = _obj(value.get("data"))
    return _str(data.get("question")).strip()


def extension_command(activity: Json) -> str:
    """The message-extension command an invoke carries (``ask`` or ``report``), or ``""``."""
    return _str(_obj(_obj(activity).get("value")).get("commandId"))


def reported_message(activity: Json) -> Message | None:
    """The message a "Report to gmcbot" action names (``value.messagePayload``), as the core
    sees it: its text (HTML removed), its poster by Entra object id, the channel it is in;
    ``None`` when the payload holds no message or no poster."""
    activity = _obj(activity)
    payload = _obj(_obj(activity.get("value")).get("messagePayload"))
    body = _obj(payload.get("body"))
    poster = _obj(_obj(payload.get("from")).get("user"))
    poster_id = _str(poster.get("id"))
    if not payload or not poster_id:
        return None
    kind_of_chat = _str(_obj(activity.get("conversation")).get("conversationType"))
    team, channel = channel_ids(activity) if kind_of_chat == "channel" else ("", "")
    if not channel:
        channel = _str(_obj(activity.get("conversation")).get("id"))
    return Message(
        text=plain_text(_str(body.get("content"))),
        actor=Actor(user_id=poster_id),
        conversation=Conversation(
            platform=Platform.TEAMS,
            workspace=team,
            channel=channel,
            thread=_str(payload.get("replyToId")) or _str(payload.get("id")),
        ),
        ref=_str(payload.get("id")),
    )


def message_link(activity: Json) -> str:
    """The reported message's link in Teams (``messagePayload.linkToMessage``), if https."""
    payload = _obj(_obj(_obj(activity).get("value")).get("messagePayload"))
    link = _str(payload.get("linkToMessage"))
    return link if link.startswith("https://") else ""


PROFESSION_WORD = "profession"
HELP_WORDS = frozenset({"help", "?"})


def profession_words(text: str) -> str | None:
    """What follows ``profession`` when a question's text starts with that word (``""``
    when nothing does), or ``None`` when it is not a profession command."""
    words = text.split(None, 1)
    if not words or words[0].lower() != PROFESSION_WORD:
        return None
    return " ".join(words[1].split()) if len(words) > 1 else ""


def is_help(text: str) -> bool:
    """True when the whole text asks for help ("help", "?")."""
    return text.strip().lower() in HELP_WORDS
