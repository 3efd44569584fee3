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

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from adapters.slack.carried import carried_text
from adapters.slack.translate import mapping_of, text_of
from bot import Actor, Conversation, Message, Platform, To, wording

if TYPE_CHECKING:
    from adapters.slack.app import SlackHandlers

log = logging.getLogger("adapters.slack")

CALLBACK_ID = "gmc_report"
THANKS = wording.REPORT_THANKS
RECORDED = wording.REPORT_RECORDED
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
    outcome = handlers.core.report(message, locate=handlers._permalink)
    handlers.deliver(outcome)
    thanks = next((d.text for d in outcome.deliveries if d.to is To.REPORTER), wording.REPORT_RECORDED)
    handlers.reply_private(where, thanks, [])


def listener(handlers: SlackHandlers) -> Callable[..., None]:
    """The Bolt listener: acknowledge at once, then do the work on the work queue."""

    def on_shortcut(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        ack()
        handlers._guard("shortcut report", lambda: handle_report(handlers, body))

    return on_shortcut
