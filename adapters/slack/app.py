"""The Bolt app: thin glue between Slack events and :class:`bot.service.GuidanceBot`.

``build_app(bot, settings, client)`` registers:
- ``/gmc``: help, a question (answered privately), ``profession`` (the asker's saved
  profession, shown, saved or cleared privately), or ``settings`` for workspace admins;
- ``app_mention``: answered in the thread; a DM ``message``: answered in the DM;
- channel ``message``: screened when the channel is monitored; a flag gets a private
  notice to the poster and, when a moderators' channel is set, a redacted notice there;
- the buttons those replies carry, and the App Home tab.

Commands and buttons ``ack()`` first; events are acknowledged by Bolt before the
listener runs (``process_before_response=False``), so the core is always called after
Slack has its answer. Before that, a global middleware (:mod:`adapters.slack.durable`)
stores each event and command as a durable job (``bot/jobs.py``) in the same transaction
that claims its id, answers a duplicate at once, and answers 503 when the work queue is
over its bound; jobs a crash left behind are replayed through the same app. Listeners only translate: the work (the core, Web API calls)
goes to a :class:`~adapters.slack.work.WorkQueue`, so acknowledgements never wait
behind answers on Bolt's small listener pool, nor on the database; questions (``/gmc``,
mentions, DMs, Share and More) go in its ask lane, so answers never wait behind screening. Each
effect of a job (notice, moderators' notice, answer) is recorded as done, so a replay
repeats none; a flag's id comes from the job, so a replay stores no second flag. The
request's signature was verified before (:mod:`adapters.slack.gate`). A global
middleware counts requests by kind. Nothing here logs or reposts message text.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk.web import WebClient

from adapters.slack import blocks as bk
from adapters.slack import report
from adapters.slack.client import Sender, make_client
from adapters.slack.durable import CLAIM, JOB, REPLAY, TAKEN, DurableDeliveries
from adapters.slack.files import download, image_files, screened_body
from adapters.slack.translate import (
    PROFESSION_COMMAND,
    ButtonValue,
    CommandKind,
    Route,
    decode_value,
    is_channel_id,
    mapping_of,
    mention_question,
    parse_command,
    route_message,
    text_of,
    user_ref,
)
from adapters.slack.work import ASK, DEFAULT_WORKERS, WORK, WorkQueue
from bot import (
    Actor,
    Answer,
    Asked,
    AskStatus,
    ChannelKey,
    ChannelSettings,
    ConfigError,
    Durable,
    FlagStatus,
    GuidanceBot,
    Job,
    Message,
    Outcome,
    Person,
    Platform,
    Question,
    Role,
    Settings,
    SettingsChange,
    To,
    UseCases,
    durable_for,
    wording,
)

log = logging.getLogger("adapters.slack")

COMMAND = "/gmc"
PLATFORM = "slack"
SORRY = wording.SORRY
NOT_ADMIN = "Only workspace admins and owners can view or change gmcbot's channel settings."
# Request kinds counted in metrics (anything else is "other").
REQUEST_KINDS = frozenset({"event_callback", "command", "block_actions", "url_verification"})


def make_work_queue(bot: GuidanceBot, workers: int = DEFAULT_WORKERS, limit: int | None = None) -> WorkQueue:
    """A work queue whose length is reported in ``bot.metrics``; ``limit`` defaults to
    ``bot.settings.work_queue_limit``."""
    gauge = bot.metrics.work_in_flight.labels(PLATFORM)
    bound = limit if limit is not None else bot.settings.work_queue_limit
    return WorkQueue(workers, bound, on_change=gauge.set, name="gmcbot-slack-work")


def make_durable(bot: GuidanceBot, settings: Settings) -> Durable:
    """The durable jobs for ``bot``'s records (bot/jobs.py), counted in ``bot.metrics``."""
    return durable_for(settings, bot.records, on_outcome=lambda outcome: bot.metrics.jobs.labels(outcome).inc())


@dataclasses.dataclass(frozen=True)
class Where:
    """Who asked, where, and how to reply privately."""

    team: str
    user: str
    channel: str
    response_url: str = ""
    thread_ts: str = ""


class SlackHandlers:
    """The listeners. Each one catches its own failures and logs only their type."""

    def __init__(
        self,
        bot: GuidanceBot,
        settings: Settings,
        sender: Sender,
        work: WorkQueue | None = None,
        durable: Durable | None = None,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.sender = sender
        self.core = UseCases(bot)
        self.work = work or make_work_queue(bot)
        self.durable = durable or make_durable(bot, settings)
        self.deliveries = DurableDeliveries(bot, self.durable, self.work)
        self._current = threading.local()  # the job whose work this thread runs

    # -- registration -----------------------------------------------------------------
    def register(self, app: App) -> None:
        app.use(self.count_request)
        app.use(self.deliveries.keep)
        self.deliveries.app = app
        app.error(self.on_error)
        app.command(COMMAND)(self.on_command)
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.event("app_home_opened")(self.on_home)
        buttons: dict[str, Callable[[dict[str, Any], dict[str, Any]], None]] = {
            bk.SHARE: self.on_share,
            bk.HELPFUL: lambda body, action: self.on_feedback(body, action, True),
            bk.NOT_HELPFUL: lambda body, action: self.on_feedback(body, action, False),
            bk.MORE: self.on_more,
            bk.FLAG_REMOVING: lambda body, action: self.on_flag_status(body, action, FlagStatus.REMOVED),
            bk.FLAG_FALSE_ALARM: lambda body, action: self.on_flag_status(body, action, FlagStatus.FALSE_ALARM),
            bk.REVIEW_CONFIRM: lambda body, action: self.on_review(body, action, FlagStatus.CONFIRMED),
            bk.REVIEW_FALSE_ALARM: lambda body, action: self.on_review(body, action, FlagStatus.FALSE_ALARM),
            bk.MONITOR_ON: lambda body, action: self.on_monitor_button(body, action, True),
            bk.MONITOR_OFF: lambda body, action: self.on_monitor_button(body, action, False),
            bk.OPEN_LINK: lambda body, action: None,
        }
        for action_id, handle in buttons.items():
            app.action(action_id)(self._button(action_id, handle))
        app.shortcut(report.CALLBACK_ID)(report.listener(self))  # issue 19: "Report to gmcbot"

    def _button(self, action_id: str, handle: Callable[[dict[str, Any], dict[str, Any]], None]) -> Callable[..., None]:
        lane = ASK if action_id in (bk.SHARE, bk.MORE) else WORK  # these answer the question again

        def listener(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            self._guard(f"action {action_id}", lambda: handle(body, action), lane=lane)

        return listener

    def _guard(
        self, what: str, work: Callable[[], Any], context: dict[str, Any] | None = None, lane: str = WORK
    ) -> None:
        """Queue ``work`` to run after the acknowledgement, catching its failures, then
        finish the delivery's durable job (``context``'s, see :mod:`adapters.slack.durable`).
        Without a job (the database was away) the delivery's id is claimed in memory first
        and a duplicate dropped. Questions go in the ``ask`` lane, which never waits
        behind screening. A job the queue refuses is left for a replay."""
        durable_job = context.get(JOB) if context is not None else None
        claim = str(context.get(CLAIM) or "") if context is not None else ""
        if context is not None:
            context[TAKEN] = True

        def job() -> None:
            self._current.job = durable_job
            try:
                if claim and not self.core.claim(Platform.SLACK, claim):
                    return
                work()
            except Exception as exc:  # noqa: BLE001 - a listener must never die; the type is logged, never the text
                log.error("slack %s failed: %s", what, type(exc).__name__)
            finally:
                self._current.job = None
                if isinstance(durable_job, Job):
                    self.durable.finish(durable_job)

        if not self.work.submit(job, lane) and isinstance(durable_job, Job):
            self.durable.release(durable_job)

    def _job(self) -> Job | None:
        job = getattr(self._current, "job", None)
        return job if isinstance(job, Job) else None

    def _once(self, name: str, effect: Callable[[], object]) -> None:
        """Do ``effect`` unless this thread's job did ``name`` before a crash. For calls
        Slack cannot be asked about afterwards (ephemeral messages, response URLs): one
        left under way by a crash is not repeated (:meth:`bot.jobs.Durable.pending`)."""
        self.durable.once(self._job(), name, effect)

    def _check(self, job: Job, name: str, channel: str, thread_ts: str = "") -> Callable[[], bool | None]:
        """Asks Slack whether effect ``name`` of ``job`` (a message posted with
        :meth:`_post_once`) is in ``channel`` (or its thread)."""
        return lambda: self.sender.has_effect(channel, job.effect_id(name), thread_ts, since=job.created)

    def _post_once(self, name: str, channel: str, text: str, blocks: list[dict[str, Any]], thread_ts: str = "") -> None:
        """Post visibly as effect ``name`` of this thread's job: the message carries the
        effect's id in its metadata, so a replay of a post a crash left under way asks
        Slack whether it arrived and posts it only if not (exactly once)."""
        job = self._job()
        if job is None:
            self.sender.post_message(channel, text, blocks, thread_ts)
            return
        self.durable.once(
            job,
            name,
            lambda: self.sender.post_message(channel, text, blocks, thread_ts, effect=job.effect_id(name)),
            check=self._check(job, name, channel, thread_ts),
        )

    # -- middleware and errors ----------------------------------------------------------
    def count_request(self, body: dict[str, Any], context: dict[str, Any], next: Callable[[], Any]) -> Any:
        """Count each verified request by kind (duplicates are counted when dropped;
        replays of durable jobs are not requests)."""
        if context.get(REPLAY) is not None:
            return next()
        kind = "command" if text_of(body, "command") else text_of(body, "type") or "other"
        self.bot.metrics.platform_requests.labels(PLATFORM, kind if kind in REQUEST_KINDS else "other").inc()
        return next()

    def on_error(self, error: Exception) -> None:
        log.error("slack listener failed: %s", type(error).__name__)

    # -- replies ------------------------------------------------------------------------
    def reply_private(self, where: Where, text: str, blocks: list[dict[str, Any]]) -> None:
        """Ephemeral reply through the response URL, or ``chat.postEphemeral``."""
        payload: dict[str, Any] = {"response_type": "ephemeral", "replace_original": False, "text": text}
        if blocks:
            payload["blocks"] = blocks
        if where.response_url and self.sender.respond(where.response_url, payload):
            return
        if where.channel and where.user:
            self.sender.post_ephemeral(where.channel, where.user, text, blocks, where.thread_ts)

    def _ask(self, where: Where, question: str) -> Asked:
        return self.core.ask(Question(question, Actor(user_id=where.user), Platform.SLACK, where.team, where.channel))

    # -- /gmc -----------------------------------------------------------------------------
    def on_command(self, ack: Callable[..., Any], body: dict[str, Any], context: dict[str, Any]) -> None:
        ack()
        where = Where(
            team=text_of(body, "team_id"),
            user=text_of(body, "user_id"),
            channel=text_of(body, "channel_id"),
            response_url=text_of(body, "response_url"),
        )
        self._guard("command", lambda: self._command(where, text_of(body, "text")), context, lane=ASK)

    def _command(self, where: Where, text: str) -> None:
        command = parse_command(text)
        if command.kind is CommandKind.HELP:
            self._once(
                "answer", lambda: self.reply_private(where, "How to use gmcbot", bk.help_blocks(self.settings.ask_who))
            )
        elif command.kind is CommandKind.SETTINGS:
            self._once("answer", lambda: self._settings(where, command.setting, command.value, command.error))
        elif command.kind is CommandKind.PROFESSION:
            self._once("answer", lambda: self._profession(where, command.value))
        elif self.durable.pending(self._job(), "answer"):
            asked = self._ask(where, command.question)
            if asked.status is AskStatus.EMPTY:
                self._once(
                    "answer",
                    lambda: self.reply_private(where, "How to use gmcbot", bk.help_blocks(self.settings.ask_who)),
                )
            elif asked.status is AskStatus.RATE_LIMITED:
                self._once("answer", lambda: self.reply_private(where, asked.notice, []))
            elif asked.answer is None:
                self._once("answer", lambda: self.reply_private(where, asked.notice, []))
            else:
                answer = asked.answer
                self._once(
                    "answer",
                    lambda: self.reply_private(
                        where,
                        bk.answer_fallback(answer, self.settings.ask_who),
                        bk.answer_blocks(answer, self.settings.ask_who, shareable=True, ref=asked.ref),
                    ),
                )

    # -- mentions and DMs ---------------------------------------------------------------------
    def on_mention(self, event: dict[str, Any], body: dict[str, Any], context: dict[str, Any]) -> None:
        try:
            if event.get("bot_id") or not text_of(event, "user") or not text_of(event, "channel"):
                return  # a mention with nowhere to answer is ignored (never a post to channel "")
            where = Where(
                team=text_of(body, "team_id"),
                user=text_of(event, "user"),
                channel=text_of(event, "channel"),
                thread_ts=text_of(event, "thread_ts") or text_of(event, "ts"),
            )
            question = mention_question(text_of(event, "text"), str(context.get("bot_user_id") or ""))
            self._guard("mention", lambda: self._answer_visibly(where, question), context, lane=ASK)
        finally:
            self.deliveries.settle(context)

    def _answer_visibly(self, where: Where, question: str) -> None:
        """Answer in the thread (mentions) or the DM (``where.thread_ts`` empty), once per job."""
        job = self._job()
        if job is not None and not self.durable.pending(
            job, "answer", self._check(job, "answer", where.channel, where.thread_ts)
        ):
            return
        asked = self._ask(where, question)
        if asked.status is AskStatus.EMPTY:
            self._post_once(
                "answer", where.channel, "How to use gmcbot", bk.help_blocks(self.settings.ask_who), where.thread_ts
            )
        elif asked.status is AskStatus.RATE_LIMITED:
            self._once("answer", lambda: self.reply_private(where, asked.notice, []))
        elif asked.answer is None:
            self._post_once("answer", where.channel, asked.notice, [], where.thread_ts)
        else:
            answer = asked.answer
            self._post_once(
                "answer",
                where.channel,
                bk.answer_fallback(answer, self.settings.ask_who),
                bk.answer_blocks(answer, self.settings.ask_who, shareable=False, ref=asked.ref),
                where.thread_ts,
            )

    def on_message(self, event: dict[str, Any], body: dict[str, Any], context: dict[str, Any]) -> None:
        try:
            team = text_of(body, "team_id")
            route, message = route_message(event, team, str(context.get("bot_user_id") or ""))
            if message is None or route is Route.IGNORE:
                return
            if route is Route.QUESTION:
                where = Where(team=team, user=message.actor.user_id, channel=message.conversation.channel)
                self._guard("direct message", lambda: self._answer_visibly(where, message.text), context, lane=ASK)
            else:
                self._guard("screening", lambda: self._screen(message, event), context)
        finally:
            self.deliveries.settle(context)

    # -- screening --------------------------------------------------------------------------------
    def _screen(self, message: Message, event: dict[str, Any] | None = None) -> None:
        """Hand the message to the core (:meth:`UseCases.handle_message`) and deliver what
        it says: the private notice, the moderators' note. The event was claimed before
        (with its durable job, or in memory by :meth:`_guard`); a job's flag id comes from
        the job, so a replay stores no second flag."""
        job = self._job()
        outcome = self.core.handle_message(
            message,
            enrich=lambda m: self._with_images(m, event),
            locate=self._permalink,
            flag_id=job.effect_id("flag") if job else "",
        )
        self.deliver(outcome)

    def _permalink(self, message: Message) -> str:
        return self.sender.permalink(message.conversation.channel, message.ref) if message.ref else ""

    def deliver(self, outcome: Outcome) -> None:
        """Post each delivery of a flag in Slack's idiom (the reporter's thanks is the
        caller's), each once per durable job (:attr:`Delivery.effect`, see
        :meth:`bot.jobs.Durable.once`): the moderators' note carries its effect id, so a
        replay asks Slack whether it arrived; the private notice (ephemeral, which Slack
        cannot be asked about) left under way by a crash is not repeated."""
        flag, message = outcome.flag, outcome.message
        if flag is None or message is None:
            return
        conv = message.conversation
        for delivery in outcome.deliveries:
            if delivery.to is To.POSTER:
                self._once(
                    delivery.effect,
                    lambda: self.sender.post_ephemeral(
                        conv.channel,
                        message.actor.user_id,
                        bk.flag_notice_fallback(flag),
                        bk.flag_notice_blocks(flag, outcome.flag_id, moderators_told=bool(outcome.moderators)),
                        conv.thread,
                    ),
                )
            elif delivery.to is To.MODERATORS:
                self._post_once(
                    delivery.effect,
                    delivery.channel,
                    bk.moderator_fallback(flag),
                    bk.moderator_blocks(flag, outcome.flag_id, conv.channel, outcome.link),
                )

    # >>> images (issue 19): image files read into memory and their text screened with the message
    def _with_images(self, message: Message, event: dict[str, Any] | None) -> Message:
        texts = []
        for file_id, url in image_files(screened_body(event)) if message.has_image else []:
            data = download(file_id, url, self.settings.slack_bot_token, self.settings.slack_api_url)
            if data:
                texts.append(self.core.read_image(data))
        texts = [t for t in texts if t.strip()]
        return dataclasses.replace(message, text="\n".join([message.text, *texts])) if texts else message

    # <<< images

    # -- buttons ----------------------------------------------------------------------------------
    @staticmethod
    def _where(body: dict[str, Any]) -> Where:
        container = mapping_of(body, "container")
        return Where(
            team=text_of(mapping_of(body, "team"), "id"),
            user=text_of(mapping_of(body, "user"), "id"),
            channel=text_of(mapping_of(body, "channel"), "id") or text_of(container, "channel_id"),
            response_url=text_of(body, "response_url"),
            thread_ts=text_of(container, "thread_ts"),
        )

    def on_share(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Post the same answer visibly: as the bot, or through the response URL where
        the bot may not post (DMs, channels it is not in)."""
        where = self._where(body)
        value = decode_value(action.get("value"))
        answer = self._answer_again(where, value)
        if answer is None:
            return
        text = bk.answer_fallback(answer, self.settings.ask_who)
        blocks = bk.answer_blocks(answer, self.settings.ask_who, shareable=False, shared_by=where.user, ref=value.ref)
        if where.channel and self.sender.post_message(where.channel, text, blocks, where.thread_ts):
            return
        self.sender.respond(
            where.response_url,
            {"response_type": "in_channel", "replace_original": False, "text": text, "blocks": blocks},
        )

    def on_feedback(self, body: dict[str, Any], action: dict[str, Any], helpful: bool) -> None:
        where = self._where(body)
        value = decode_value(action.get("value"))
        self.core.feedback(Platform.SLACK, Actor(user_id=where.user), value.citation_ids, helpful, ref=value.ref)
        self.reply_private(where, wording.FEEDBACK_THANKS, [])

    def on_more(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        where = self._where(body)
        answer = self._answer_again(where, decode_value(action.get("value")))
        if answer is not None:
            self.reply_private(where, "Further guidance", bk.more_blocks(answer))

    def _answer_again(self, where: Where, value: ButtonValue) -> Answer | None:
        """The answer made of the paragraphs a button names (its value carries their ids,
        never the question); None (after telling the user privately) when it names none
        the corpus holds or the core fails."""
        asked = self.core.answer_again(value.citation_ids, value.low_confidence, value.ref)
        if asked.answer is None:
            self.reply_private(where, asked.notice, [])
        return asked.answer

    # >>> review of flags: every click goes through the core's rules (bot.review)
    def on_flag_status(self, body: dict[str, Any], action: dict[str, Any], status: FlagStatus) -> None:
        """The poster's answer to a private notice: only the poster, only until a moderator decides."""
        where = self._where(body)
        flag_id = text_of(action, "value")
        decision = self.core.review(flag_id, status, Actor(user_id=where.user), Role.POSTER, platform=Platform.SLACK)
        if not decision.ok:
            self.reply_private(where, decision.message, [])
            return
        text = wording.outcome_line(status)
        if status is FlagStatus.REMOVED:
            text += " In Slack: ⋮ › Delete message."
        self.sender.respond(where.response_url, {"replace_original": True, "text": text})

    def on_review(self, body: dict[str, Any], action: dict[str, Any], status: FlagStatus) -> None:
        """A moderator's decision: from the moderators' channel set for the flag's channel,
        or by a workspace admin or owner (Slack's moderator role)."""
        where = self._where(body)
        flag_id = text_of(action, "value")
        decision = self.core.review(
            flag_id,
            status,
            Actor(user_id=where.user),
            Role.MODERATOR,
            platform=Platform.SLACK,
            workspace=where.team,
            from_channel=where.channel,
            vouch=lambda: self.sender.is_admin(where.user),  # Slack's moderators: workspace admins and owners
        )
        if not decision.ok:
            self.reply_private(where, decision.message, [])
            return
        note = wording.outcome_line(status, user_ref(where.user), moderator=True)
        original = mapping_of(body, "message").get("blocks")
        self.sender.respond(
            where.response_url, {"replace_original": True, "text": note, "blocks": bk.reviewed_blocks(original, note)}
        )

    # <<< review of flags

    # -- saved profession ---------------------------------------------------------------------------
    def _profession(self, where: Where, text: str) -> None:
        """``/gmc profession [WORDS]``: show, save or clear; the reply is ephemeral."""
        person = Person(Platform.SLACK, where.team, Actor(user_id=where.user))
        reply = self.core.profession(person, text, how=PROFESSION_COMMAND)
        self.reply_private(where, reply.text, [])

    # -- settings ---------------------------------------------------------------------------------
    def _settings(self, where: Where, setting: str, value: str, error: str) -> None:
        if error:
            self.reply_private(where, error, [])
            return
        if not self.sender.is_admin(where.user):
            self.reply_private(where, NOT_ADMIN, [])
            return
        change = SettingsChange()
        if setting == "monitor":
            change = SettingsChange(monitored=value == "on")
        elif setting == "moderators":
            change = SettingsChange(moderators_channel=value)
        elif setting == "audience":
            change = SettingsChange(audience=value)
        current = self._configure(where, where.channel, change)
        self.reply_private(
            where, bk.settings_fallback(current), bk.settings_blocks(current, self.settings.moderators_channel)
        )

    def _configure(self, where: Where, channel: str, change: SettingsChange) -> ChannelSettings:
        return self.core.configure(ChannelKey(Platform.SLACK, where.team, channel), change, Actor(user_id=where.user))

    def on_monitor_button(self, body: dict[str, Any], action: dict[str, Any], on: bool) -> None:
        where = self._where(body)
        value = text_of(action, "value")
        channel = value if is_channel_id(value) else where.channel  # a forged value names no other row
        if not self.sender.is_admin(where.user):
            self.reply_private(where, NOT_ADMIN, [])
            return
        current = self._configure(where, channel, SettingsChange(monitored=on))
        self.sender.respond(
            where.response_url,
            {
                "replace_original": True,
                "text": bk.settings_fallback(current),
                "blocks": bk.settings_blocks(current, self.settings.moderators_channel),
            },
        )

    # -- App Home ---------------------------------------------------------------------------------
    def on_home(self, event: dict[str, Any], context: dict[str, Any]) -> None:
        try:
            user = text_of(event, "user")
            if text_of(event, "tab") == "home" and user:
                self._guard(
                    "home", lambda: self.sender.publish_home(user, bk.help_blocks(self.settings.ask_who)), context
                )
        finally:
            self.deliveries.settle(context)


def bolt_logger() -> logging.Logger:
    """The logger Bolt's own loggers copy their level from, held at INFO or above: Bolt
    logs request bodies at DEBUG, and without a base logger it copies the root's level,
    bypassing ``bot.logsetup.quiet_body_loggers``."""
    logger = logging.getLogger("slack_bolt.App")
    logger.setLevel(max(logging.INFO, logger.getEffectiveLevel()))
    return logger


def build_app(
    bot: GuidanceBot,
    settings: Settings,
    client: WebClient | None = None,
    *,
    socket_mode: bool = False,
    work: WorkQueue | None = None,
    durable: Durable | None = None,
) -> App:
    """The Bolt app for ``bot``. ``client`` defaults to :func:`make_client` (its retries
    counted in ``bot.metrics``); Bolt calls ``auth.test`` once here. Requests are verified
    with ``settings.slack_signing_secret``, which HTTP mode requires (Socket Mode needs
    none). Listener work runs on ``work`` (default: a new :func:`make_work_queue`).
    Deliveries are kept as jobs in ``durable``, bound here to replay through this app;
    the caller starts its lease thread (``durable.start()``, once the bot is warm) and
    stops it. Without ``durable``, one is made (:func:`make_durable`) and started now."""
    if not settings.slack_signing_secret and not socket_mode:
        raise ConfigError("SLACK_SIGNING_SECRET is not set; HTTP mode needs it to verify requests from Slack")
    on_retry = bot.metrics.retry_counter(PLATFORM)
    client = client or make_client(settings, on_retry=on_retry)
    work = work or make_work_queue(bot)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or "unused-in-socket-mode",
        process_before_response=False,
        logger=bolt_logger(),
        listener_executor=work.listeners,
    )
    sender = Sender(client, on_error=bot.metrics.error_counter(PLATFORM), on_retry=on_retry)
    handlers = SlackHandlers(bot, settings, sender, work, durable)
    handlers.register(app)
    handlers.durable.bind(handlers.deliveries.replay, lambda: max(0, work.limit - work.active))
    if durable is None:
        handlers.durable.start()
    return app
