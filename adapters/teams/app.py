"""The Teams side of gmcbot on the Teams SDK for Python (``microsoft-teams-apps``).

:func:`build_app` makes the SDK's :class:`~microsoft_teams.apps.App` with gmcbot's handlers;
:class:`TeamsTurns` holds the core (:class:`bot.service.GuidanceBot`) by composition.

Contract (see ``adapters/base.py``):
- inbound activities are JWT-validated by the SDK (Bot Framework keys, the app id as
  audience, the ``serviceurl`` claim equal to the activity's) unless ``insecure`` is set;
- every reply goes to the incoming activity's ``serviceUrl`` (the SDK's per-turn API client);
- a one-to-one chat message is a question; ``@gmcbot QUESTION`` in a channel or group chat is
  answered privately (a targeted message, falling back to a one-to-one chat); the answer card
  never repeats the question, so a question carrying an identifier is never posted back;
- every message in a monitored channel is screened; the poster is told privately (targeted
  message, else one-to-one chat) and the moderators' channel gets a card with the redacted
  excerpt and Confirm / False alarm, decided under :mod:`bot.review`;
- core calls run on two thread pools (questions apart from screening and records), so the
  event loop never waits for the model or the database;
- logs carry ids, categories and exception types only.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from fastapi import FastAPI
from microsoft_teams.api.activities.invoke.adaptive_card.action import AdaptiveCardInvokeActivity
from microsoft_teams.api.activities.invoke.message_extension.submit_action import (
    MessageExtensionSubmitActionInvokeActivity,
)
from microsoft_teams.api.activities.message.message import MessageActivity, MessageActivityInput
from microsoft_teams.api.clients.conversation.params import CreateConversationParams
from microsoft_teams.api.models.account import Account
from microsoft_teams.api.models.adaptive_card.adaptive_card_action_response import (
    AdaptiveCardActionCardResponse,
    AdaptiveCardActionMessageResponse,
)
from microsoft_teams.api.models.attachment.attachment import Attachment
from microsoft_teams.api.models.invoke_response import (
    AdaptiveCardInvokeResponse,
    MessagingExtensionActionInvokeResponse,
)
from microsoft_teams.api.models.messaging_extension.messaging_extension_action_response import (
    MessagingExtensionActionResponse,
)
from microsoft_teams.api.models.task_module.task_module_continue_response import TaskModuleContinueResponse
from microsoft_teams.api.models.task_module.task_module_task_info import CardTaskModuleTaskInfo
from microsoft_teams.apps import ActivityContext, App
from microsoft_teams.apps.http import FastAPIAdapter
from microsoft_teams.cards import AdaptiveCard

from adapters.ratelimit import RateLimiter
from adapters.teams import cards
from adapters.teams.translate import Inbound, Json, Kind, card_action, channel_ids, extension_question, inbound
from bot.config import Settings
from bot.review import Role
from bot.service import GuidanceBot
from bot.types import Answer, ChannelSettings, Flag, FlagStatus, Platform

log = logging.getLogger(__name__)
T = TypeVar("T")
ASK_WORKERS = 2
WORK_WORKERS = 4
SORRY = "Sorry, something went wrong on my side. Please try again in a moment."
EMPTY_QUESTION = "Ask me about professional guidance on social media, e.g. can I reply to a patient on Twitter?"
NOT_MINE = "That button is not one I recognise."
REPORT_NONE = "Type a question, e.g. can I reply to a patient on Twitter?"


def log_failure(what: str, exc: BaseException) -> None:
    """Log a failure by exception type and where it happened; never its message."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    log.error("%s failed: %s at %s", what, type(exc).__name__, where)


def card_activity(content: Json) -> MessageActivityInput:
    """A message activity carrying one Adaptive Card."""
    return MessageActivityInput(attachments=[Attachment(content_type=cards.CARD_TYPE, content=content)])


def activity_json(ctx: ActivityContext[Any]) -> Json:
    """The incoming activity as Teams sent it (camelCase JSON)."""
    data: Json = ctx.activity.model_dump(mode="json", by_alias=True, exclude_none=True)
    return data


class TeamsTurns:
    """gmcbot's handlers; one instance per app. ``guidance`` is the core."""

    def __init__(self, guidance: GuidanceBot, settings: Settings) -> None:
        self.guidance = guidance
        self.settings = settings
        self.limiter = RateLimiter(settings.rate_limit_per_minute)
        self._asks = ThreadPoolExecutor(ASK_WORKERS, thread_name_prefix="gmcbot-teams-ask")
        self._work = ThreadPoolExecutor(WORK_WORKERS, thread_name_prefix="gmcbot-teams-work")

    def close(self) -> None:
        self._asks.shutdown(wait=False, cancel_futures=True)
        self._work.shutdown(wait=False, cancel_futures=True)

    async def _core(self, pool: ThreadPoolExecutor, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(pool, functools.partial(fn, *args, **kwargs))

    async def _ask(self, question: str) -> Answer:
        return await self._core(self._asks, self.guidance.ask, question)

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self._core(self._work, fn, *args, **kwargs)

    # -- messages ------------------------------------------------------------------------
    async def on_message(self, ctx: ActivityContext[MessageActivity]) -> None:
        """One-to-one chat: answer. ``@gmcbot`` in a channel or group chat: answer privately.
        A monitored channel: screen."""
        turn = inbound(activity_json(ctx))
        if turn.kind is Kind.IGNORE:
            return
        try:
            await self._handle(ctx, turn)
        except Exception as exc:  # noqa: BLE001 - never let a message's failure reach the SDK's logger
            log_failure(f"teams activity {turn.activity_id}", exc)

    async def _handle(self, ctx: ActivityContext[MessageActivity], turn: Inbound) -> None:
        settings: ChannelSettings | None = None
        if turn.kind is not Kind.PERSONAL_QUESTION and turn.message.conversation.workspace:
            conv = turn.message.conversation
            settings = await self._call(self.guidance.channel_settings, Platform.TEAMS, conv.workspace, conv.channel)
        monitored = settings is not None and settings.monitored
        if turn.kind is Kind.CHANNEL_MESSAGE and not monitored:
            return
        if not await self._call(
            self.guidance.claim_event, Platform.TEAMS.value, f"message:{turn.conversation_id}:{turn.activity_id}"
        ):
            return
        if monitored and settings is not None:
            await self._screen(ctx, turn, settings)
        if turn.kind is Kind.PERSONAL_QUESTION:
            await self._send(ctx, card_activity(await self._answer_card(turn)), f"answer to {turn.activity_id}")
        elif turn.kind is Kind.MENTION_QUESTION:
            await self._tell_privately(ctx, turn, await self._answer_card(turn), "answer")

    async def _answer_card(self, turn: Inbound) -> Json:
        if not turn.question.strip():
            return cards.message_card(EMPTY_QUESTION)
        if not self.limiter.allow(turn.user_id):
            log.info("teams rate limit reached for a user")
            per = self.settings.rate_limit_per_minute
            return cards.message_card(
                f"You've asked {per} questions in the last minute, which is my limit. Please try again in a minute."
            )
        try:
            answer = await self._ask(turn.question)
        except Exception as exc:  # noqa: BLE001 - the asker still gets an answer
            log_failure(f"answering teams activity {turn.activity_id}", exc)
            return cards.message_card(SORRY)
        log.info("answered teams activity %s: %s", turn.activity_id, answer.status.value)
        return cards.answer_card(answer, self.settings.ask_who)

    async def _send(self, ctx: ActivityContext[Any], activity: MessageActivityInput, what: str) -> bool:
        try:
            await ctx.send(activity)
            return True
        except Exception as exc:  # noqa: BLE001 - a failed send is logged by type, never raised to the SDK
            log.warning("teams %s not sent: %s", what, type(exc).__name__)
            return False

    async def _tell_privately(self, ctx: ActivityContext[Any], turn: Inbound, content: Json, what: str) -> bool:
        """Send ``content`` so only ``turn``'s sender sees it: a targeted message in the same
        conversation (preview in Teams), else a one-to-one chat the bot opens."""
        targeted = card_activity(content).with_recipient(Account(id=turn.user_id), is_targeted=True)
        if await self._send(ctx, targeted, f"targeted {what}"):
            return True
        try:
            bot = ctx.activity.recipient
            params = CreateConversationParams.model_validate(
                {
                    "bot": bot.model_dump(by_alias=True, exclude_none=True),
                    "members": [{"id": turn.user_id}],
                    "isGroup": False,
                    "tenantId": turn.tenant_id or None,
                    "channelData": {"tenant": {"id": turn.tenant_id}} if turn.tenant_id else None,
                }
            )
            chat = await ctx.api.conversations.create(params)
            message = card_activity(content)
            message.from_ = bot
            await ctx.api.conversations.create_activity(chat.id, message)
            return True
        except Exception as exc:  # noqa: BLE001
            log.warning("teams %s by one-to-one chat not sent: %s", what, type(exc).__name__)
            return False

    # -- screening ---------------------------------------------------------------------------
    async def _screen(self, ctx: ActivityContext[Any], turn: Inbound, settings: ChannelSettings) -> None:
        screening = await self._call(self.guidance.screen, turn.message, settings.sensitivity)
        flag = screening.flag
        if flag is None:
            return
        flag_id = await self._call(self.guidance.record_flag, turn.message, flag)
        conv = turn.message.conversation
        log.info(
            "flagged teams activity %s in team %s channel %s: %s (%s), flag %s",
            turn.activity_id,
            conv.workspace,
            conv.channel,
            flag.category.value,
            flag.severity.value,
            flag_id,
        )
        channel_name = self._channel_name(ctx)
        await self._tell_privately(
            ctx, turn, cards.poster_card(flag, flag_id, channel_name, self.settings.ask_who), f"notice {flag_id}"
        )
        await self._notify_moderators(ctx, flag, flag_id, settings, channel_name)

    @staticmethod
    def _channel_name(ctx: ActivityContext[Any]) -> str:
        data = activity_json(ctx).get("channelData")
        channel = data.get("channel") if isinstance(data, dict) else None
        name = channel.get("name") if isinstance(channel, dict) else None
        return name if isinstance(name, str) else ""

    async def _notify_moderators(
        self, ctx: ActivityContext[Any], flag: Flag, flag_id: str, settings: ChannelSettings, channel_name: str
    ) -> None:
        """Post the moderators' card as a new post in the moderators' channel, if one is set."""
        target = settings.moderators_channel or self.settings.moderators_channel
        if not target:
            return
        message = card_activity(cards.moderator_card(flag, flag_id, channel_name))
        message.from_ = ctx.activity.recipient
        try:
            await ctx.api.conversations.create_activity(target, message)
        except Exception as exc:  # noqa: BLE001
            log.warning("moderators' card for flag %s not sent: %s", flag_id, type(exc).__name__)

    # -- card buttons ----------------------------------------------------------------------------
    async def on_card_action(self, ctx: ActivityContext[AdaptiveCardInvokeActivity]) -> AdaptiveCardInvokeResponse:
        """Confirm / False alarm (moderators, from the moderators' channel of the flag's
        channel) and I'll remove it / False alarm (the poster); refusals go to the clicker only."""
        data = activity_json(ctx)
        action = card_action(data)
        if action is None:
            return AdaptiveCardActionMessageResponse(value=NOT_MINE)
        turn = inbound({**data, "type": "message"})
        status = FlagStatus(action.status)
        if action.role == "mod":
            team, channel = channel_ids(data)
            decide = functools.partial(
                self.guidance.decide_flag,
                action.flag_id,
                status,
                turn.message.actor,
                Role.MODERATOR,
                workspace=team,
                from_channel=channel if team else "",
                source=Platform.TEAMS.value,
            )
        else:
            decide = functools.partial(
                self.guidance.decide_flag,
                action.flag_id,
                status,
                turn.message.actor,
                Role.POSTER,
                source=Platform.TEAMS.value,
            )
        try:
            decision = await self._call(decide)
        except Exception as exc:  # noqa: BLE001
            log_failure(f"teams card action {turn.activity_id}", exc)
            return AdaptiveCardActionMessageResponse(value=SORRY)
        log.info("flag %s %s by %s: %s", action.flag_id, action.status, action.role, decision.outcome.value)
        if not decision.ok or decision.flag is None:
            return AdaptiveCardActionMessageResponse(value=decision.message or SORRY)
        updated = cards.outcome_card(decision.flag, action.role, status, turn.user_name)
        return AdaptiveCardActionCardResponse(value=AdaptiveCard.model_validate(updated))

    # -- message extension -------------------------------------------------------------------------
    async def on_extension_submit(
        self, ctx: ActivityContext[MessageExtensionSubmitActionInvokeActivity]
    ) -> MessagingExtensionActionInvokeResponse:
        """The ``ask`` command of the message extension: the answer in a dialog only the asker
        sees (nothing is posted to the conversation)."""
        data = activity_json(ctx)
        question = extension_question(data)
        turn = inbound({**data, "type": "message", "text": question})
        content = await self._answer_card(turn) if question else cards.message_card(REPORT_NONE)
        info = CardTaskModuleTaskInfo(title="gmcbot", card=Attachment(content_type=cards.CARD_TYPE, content=content))
        return MessagingExtensionActionResponse(task=TaskModuleContinueResponse(value=info))


def build_app(
    guidance: GuidanceBot,
    settings: Settings,
    *,
    insecure: bool = False,
    cloud: Any = None,
    token: Callable[..., Any] | None = None,
) -> tuple[App, TeamsTurns, FastAPI]:
    """The SDK app with gmcbot's handlers. Secure (the default): ``settings.teams_app_id``
    with ``teams_app_secret`` (or ``token``, a callable giving the bot's outbound token, for
    tests), JWT validation on. ``insecure``: no credentials at all (so the SDK makes no call
    to Microsoft's login service) and unauthenticated activities accepted. ``cloud`` is a
    :class:`~microsoft_teams.api.auth.cloud_environment.CloudEnvironment` (tests point its
    OpenID metadata at a local key set). Returns the app, the handlers and the FastAPI
    app the SDK registers ``POST /api/messages`` on (at ``App.initialize``)."""
    from adapters.teams.sdk import accept_previews, quiet_sdk_logs, without_sdk_credentials

    accept_previews()
    quiet_sdk_logs()
    http = FastAPIAdapter()
    options: dict[str, Any] = {"messaging_endpoint": "/api/messages", "http_server_adapter": http}
    if cloud is not None:
        options["cloud"] = cloud
    if insecure:
        options["dangerously_allow_unauthenticated_requests"] = True
        with without_sdk_credentials():
            app = App(**options)
    else:
        options.update(
            client_id=settings.teams_app_id or None,
            tenant_id=settings.teams_tenant_id or None,
            dangerously_allow_unauthenticated_requests=False,
        )
        if token is not None:
            options["token"] = token
        else:
            options["client_secret"] = settings.teams_app_secret or None
        app = App(**options)
    quiet_sdk_logs()
    turns = TeamsTurns(guidance, settings)
    app.on_message(turns.on_message)
    app.on_card_action(turns.on_card_action)
    app.on_message_ext_submit(turns.on_extension_submit)
    return app, turns, http.app
