"""The Teams side of gmcbot on the Teams SDK for Python (``microsoft-teams-apps``).

:func:`build_app` makes the SDK's :class:`~microsoft_teams.apps.App` with gmcbot's handlers;
:class:`TeamsTurns` holds the core (:class:`bot.service.GuidanceBot`) by composition.

Contract (see ``adapters/base.py``):
- inbound activities are JWT-validated by the SDK (Bot Framework keys, the app id as
  audience, the ``serviceurl`` claim equal to the activity's) unless ``insecure`` is set;
- every reply goes to the incoming activity's ``serviceUrl`` (the SDK's per-turn API client);
- a one-to-one chat message is a question; ``@gmcbot QUESTION`` in a channel or group chat is
  answered privately; ``profession WORDS`` (``@gmcbot profession WORDS``) shows, saves or clears
  the sender's profession and ``help`` says how to use the bot, likewise privately (a targeted message, falling back to a one-to-one chat); the answer card
  never repeats the question, so a question carrying an identifier is never posted back;
- every message in a monitored channel is screened; the poster is told privately (targeted
  message, else one-to-one chat) and the moderators' channel gets a card with the redacted
  excerpt and Confirm / False alarm, decided under :mod:`bot.review`;
- every decision is the core's use cases (:mod:`bot.usecases`: ask, handle_message, review),
  called on two thread pools (questions apart from screening and records), so the event loop
  never waits for the model or the database;
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
from microsoft_teams.api.models.task_module.task_module_message_response import TaskModuleMessageResponse
from microsoft_teams.api.models.task_module.task_module_task_info import CardTaskModuleTaskInfo
from microsoft_teams.apps import ActivityContext, App
from microsoft_teams.apps.http import FastAPIAdapter
from microsoft_teams.cards import AdaptiveCard

from adapters.teams import cards
from adapters.teams.translate import (
    Inbound,
    Json,
    Kind,
    card_action,
    channel_ids,
    extension_command,
    extension_question,
    inbound,
    is_help,
    message_link,
    profession_words,
    reported_message,
)
from bot import (
    AskStatus,
    Flag,
    FlagStatus,
    GuidanceBot,
    Handling,
    Outcome,
    Person,
    Platform,
    Question,
    Role,
    Settings,
    To,
    UseCases,
    wording,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
ASK_WORKERS = 2
WORK_WORKERS = 4
NOT_MINE = "That button is not one I recognise."
EXTENSION_EMPTY = "Type a question, e.g. can I reply to a patient on Twitter?"
REPORT_NOTHING = "I can only report a message with text in it."
PROFESSION_COMMAND = "profession"
HELP = (
    "I answer questions about UK professional guidance on social media and messaging, with the "
    "paragraph I rely on and a link to the official page. Message me a question here, mention me "
    "in a channel (@gmcbot QUESTION; only you see the answer) or use Ask gmcbot from the message box. "
    "Tell me your profession once and I'll put your regulator's guidance first: profession nurse (or "
    "midwife, HCA, physio, paramedic, FY1, PA, student nurse); profession shows it; profession clear "
    "forgets it. In channels a team owner has turned screening on, I tell you privately if a message may "
    "breach guidance; I never repost it."
)


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
    """gmcbot's handlers; one instance per app. Every decision is the core's
    (:class:`bot.usecases.UseCases`); this class translates, renders and delivers."""

    def __init__(self, guidance: GuidanceBot, settings: Settings) -> None:
        self.guidance = guidance
        self.settings = settings
        self.cases = UseCases(guidance)
        self._asks = ThreadPoolExecutor(ASK_WORKERS, thread_name_prefix="gmcbot-teams-ask")
        self._work = ThreadPoolExecutor(WORK_WORKERS, thread_name_prefix="gmcbot-teams-work")

    def close(self) -> None:
        self._asks.shutdown(wait=False, cancel_futures=True)
        self._work.shutdown(wait=False, cancel_futures=True)

    async def _core(self, pool: ThreadPoolExecutor, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(pool, functools.partial(fn, *args, **kwargs))

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
        event_id = f"message:{turn.conversation_id}:{turn.activity_id}"
        if turn.kind is Kind.PERSONAL_QUESTION:
            if await self._call(self.cases.claim, Platform.TEAMS, event_id):
                await self._send(ctx, card_activity(await self._reply_card(turn)), f"answer to {turn.activity_id}")
            return
        addressed = turn.kind is Kind.MENTION_QUESTION
        if not turn.message.conversation.workspace and not addressed:
            return  # a channel message without a team: not one settings can name
        outcome = await self._call(self.cases.handle_message, turn.message, event_id=event_id, addressed=addressed)
        if outcome.handling is Handling.FLAGGED:
            await self._deliver_flag(ctx, turn, outcome)
        if addressed and outcome.handling not in (Handling.IGNORED, Handling.DUPLICATE):
            await self._tell_privately(ctx, turn, await self._reply_card(turn), "answer")

    async def _reply_card(self, turn: Inbound) -> Json:
        """The private reply to a message addressed to the bot: help, the sender's
        profession (``profession WORDS``) or the answer to a question."""
        if is_help(turn.question):
            return cards.message_card(HELP)
        words = profession_words(turn.question)
        if words is None:
            return await self._answer_card(turn)
        # Saved for the sender across the tenant (their Entra id), so it applies in every
        # chat and team; a team has no profession of its own.
        person = Person(Platform.TEAMS, "", turn.message.actor)
        reply = await self._call(self.cases.profession, person, words, PROFESSION_COMMAND)
        return cards.message_card(reply.text.replace("`", '"'))

    async def _answer_card(self, turn: Inbound) -> Json:
        conv = turn.message.conversation
        channel = conv.channel if conv.workspace else ""  # channel settings are a team channel's
        question = Question(turn.question, turn.message.actor, Platform.TEAMS, conv.workspace, channel)
        asked = await self._core(self._asks, self.cases.ask, question)
        if asked.status is AskStatus.EMPTY:
            return cards.message_card(wording.EMPTY_QUESTION.replace("*", ""))
        if not asked.answered or asked.answer is None:
            return cards.message_card(asked.notice or wording.SORRY)
        log.info("answered teams activity %s: %s", turn.activity_id, asked.answer.status.value)
        return cards.answer_card(asked.answer, self.settings.ask_who)

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
    async def _deliver_flag(self, ctx: ActivityContext[Any], turn: Inbound, outcome: Outcome) -> None:
        """Deliver what the core says a flag needs: the poster's private notice and the
        moderators' card."""
        flag = outcome.flag
        if flag is None:
            return
        channel_name = self._channel_name(ctx)
        for delivery in outcome.deliveries:
            if delivery.to is To.POSTER:
                content = cards.poster_card(
                    flag, outcome.flag_id, channel_name, self.settings.ask_who, moderators_told=bool(outcome.moderators)
                )
                await self._tell_privately(ctx, turn, content, f"notice {outcome.flag_id}")
            elif delivery.to is To.MODERATORS:
                await self._notify_moderators(ctx, flag, outcome.flag_id, delivery.channel, channel_name)

    @staticmethod
    def _channel_name(ctx: ActivityContext[Any]) -> str:
        data = activity_json(ctx).get("channelData")
        channel = data.get("channel") if isinstance(data, dict) else None
        name = channel.get("name") if isinstance(channel, dict) else None
        return name if isinstance(name, str) else ""

    async def _notify_moderators(
        self, ctx: ActivityContext[Any], flag: Flag, flag_id: str, target: str, channel_name: str
    ) -> None:
        """Post the moderators' card as a new post in the moderators' channel."""
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
        moderator = action.role == "mod"
        team, channel = channel_ids(data) if moderator else ("", "")
        try:
            decision = await self._call(
                self.cases.review,
                action.flag_id,
                status,
                turn.message.actor,
                Role.MODERATOR if moderator else Role.POSTER,
                platform=Platform.TEAMS,
                workspace=team,
                from_channel=channel if team else "",
            )
        except Exception as exc:  # noqa: BLE001
            log_failure(f"teams card action {turn.activity_id}", exc)
            return AdaptiveCardActionMessageResponse(value=wording.SORRY)
        if not decision.ok or decision.flag is None:
            return AdaptiveCardActionMessageResponse(value=decision.message or wording.SORRY)
        record = decision.flag
        updated = cards.outcome_card(
            record.flag_id, record.category, record.redacted, action.role, status, turn.user_name
        )
        return AdaptiveCardActionCardResponse(value=AdaptiveCard.model_validate(updated))

    # -- message extension -------------------------------------------------------------------------
    async def on_extension_submit(
        self, ctx: ActivityContext[MessageExtensionSubmitActionInvokeActivity]
    ) -> MessagingExtensionActionInvokeResponse:
        """The message extension's commands: ``ask`` answers in a dialog only the asker sees
        (nothing is posted to the conversation); ``report`` ("Report to gmcbot" on a message)
        always opens a flag and tells the moderators, and thanks the reporter privately."""
        data = activity_json(ctx)
        if extension_command(data) == "report":
            return await self._report(ctx, data)
        question = extension_question(data)
        turn = inbound({**data, "type": "message", "text": question})
        content = await self._answer_card(turn) if question else cards.message_card(EXTENSION_EMPTY)
        info = CardTaskModuleTaskInfo(title="gmcbot", card=Attachment(content_type=cards.CARD_TYPE, content=content))
        return MessagingExtensionActionResponse(task=TaskModuleContinueResponse(value=info))

    async def _report(self, ctx: ActivityContext[Any], data: Json) -> MessagingExtensionActionInvokeResponse:
        message = reported_message(data)
        if message is None or not message.text.strip():
            return MessagingExtensionActionResponse(task=TaskModuleMessageResponse(value=REPORT_NOTHING))
        try:
            outcome = await self._call(self.cases.report, message, link=message_link(data))
        except Exception as exc:  # noqa: BLE001 - the reporter still gets an answer
            log_failure("teams report", exc)
            return MessagingExtensionActionResponse(task=TaskModuleMessageResponse(value=wording.SORRY))
        thanks = wording.REPORT_RECORDED
        for delivery in outcome.deliveries:
            if delivery.to is To.MODERATORS and outcome.flag is not None:
                await self._notify_moderators(ctx, outcome.flag, outcome.flag_id, delivery.channel, "")
            elif delivery.to is To.REPORTER:
                thanks = delivery.text or thanks
        return MessagingExtensionActionResponse(task=TaskModuleMessageResponse(value=thanks))


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
