""" "Report to gmcbot": the Slack message shortcut (callback id ``gmc_report``, issue 19).

Anyone can run it on a message (⋯ › More message shortcuts › Report to gmcbot). The
message (with everything it carries, :mod:`adapters.slack.carried`) is screened on
demand and always opens a flag (:meth:`bot.service.GuidanceBot.report`) under the
poster's pseudonym; the moderators' channel (the channel's, else the default) gets the
usual redacted notice with Confirm / False alarm; the reporter gets a private
confirmation. The poster is not told who reported them. Nothing is logged but ids and
the category.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from adapters.slack import blocks as bk
from adapters.slack.carried import carried_text
from adapters.slack.translate import mapping_of, text_of
from bot.types import Actor, Conversation, Message, Platform

if TYPE_CHECKING:
    from adapters.slack.app import SlackHandlers

log = logging.getLogger("adapters.slack")

CALLBACK_ID = "gmc_report"
THANKS = "Thanks. I've passed this message to the moderators for review."
RECORDED = (
    "Thanks. I've recorded this message for review; no moderators' channel is set for this channel, "
    "so an IG lead will see it in the review console."
)
NOTHING = "There is no message here I can report."


def reported_message(body: Mapping[str, Any]) -> Message | None:
    """The core message for a ``message_action`` payload; None without a message or poster."""
    message = mapping_of(body, "message")
    channel = text_of(mapping_of(body, "channel"), "id")
    poster = text_of(message, "user") or text_of(message, "bot_id")
    text = carried_text(message)
    if not channel or not poster or not text.strip():
        return None
    return Message(
        text=text,
        actor=Actor(user_id=poster, is_bot=not text_of(message, "user")),
        conversation=Conversation(
            platform=Platform.SLACK,
            workspace=text_of(mapping_of(body, "team"), "id"),
            channel=channel,
            thread=text_of(message, "thread_ts"),
        ),
        ref=text_of(message, "ts") or text_of(body, "message_ts"),
    )


def handle_report(handlers: SlackHandlers, body: dict[str, Any]) -> None:
    """Screen the reported message, record its flag, tell the moderators and the reporter."""
    where = handlers._where(body)
    message = reported_message(body)
    if message is None:
        handlers.reply_private(where, NOTHING, [])
        return
    conv = message.conversation
    flag = handlers.bot.report(message)
    permalink = handlers.sender.permalink(conv.channel, message.ref) if message.ref else ""
    flag_id = handlers.bot.record_flag(dataclasses.replace(message, ref=permalink or message.ref), flag)
    settings = handlers.bot.channel_settings(Platform.SLACK, conv.workspace, conv.channel)
    moderators = settings.moderators_channel or handlers.settings.moderators_channel
    log.info("slack report flag %s category=%s channel=%s", flag_id, flag.category.value, conv.channel)
    if moderators:
        handlers.sender.post_message(
            moderators, bk.moderator_fallback(flag), bk.moderator_blocks(flag, flag_id, conv.channel, permalink)
        )
    handlers.reply_private(where, THANKS if moderators else RECORDED, [])


def listener(handlers: SlackHandlers) -> Callable[..., None]:
    """The Bolt listener: acknowledge at once, then do the work on the work queue."""

    def on_shortcut(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        ack()
        handlers._guard("shortcut report", lambda: handle_report(handlers, body))

    return on_shortcut
