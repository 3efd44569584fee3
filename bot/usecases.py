"""The core's use cases: the few operations every adapter (Slack, Discord, Teams, the
CLI) calls, one per thing a person does.

An adapter translates what arrives into the plain inputs here (plain text: platform
markup is removed by the adapter before it calls), calls **one** operation, renders the
result in its platform's idiom (wording shared by every platform is in
:mod:`bot.wording`) and delivers it. The workflows (claim the event, read the channel's
settings, screen, record the flag, decide who is told, apply the review rules, limit
how often one person asks) live here, once.

Contract of every operation:

- synchronous and thread-safe (call it from a worker thread, never from an event loop);
- never raises for a failure of the model or the database on the question path: ``ask``
  and ``answer_again`` report ``AskStatus.FAILED`` (the adapter says :data:`bot.wording.SORRY`),
  and ``ask`` answers without the asker's saved profession or the channel's audience when
  the database cannot give them; ``profession`` reports ``ProfessionStatus.FAILED``;
  ``handle_message``, ``report``, ``configure`` and ``feedback`` let the exception through
  (the adapter logs its type only, never its message);
- nothing returned holds a patient identifier except :attr:`Message.text` the adapter gave
  in; flags hold only the redacted excerpt.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.audience import Known, is_clear, profession_from
from bot.ratelimit import RateLimiter
from bot.review import NOT_MODERATOR, Decision, Role
from bot.review import Outcome as DecisionOutcome
from bot.service import GuidanceBot
from bot.types import Actor, Answer, ChannelSettings, Flag, FlagStatus, Message, Platform

log = logging.getLogger(__name__)


# -- asking ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Question:
    """A question someone asked, as plain text (the adapter has removed its platform's
    markup and any mention of the bot). ``workspace`` scopes the rate limit and the
    asker's saved profession; ``channel`` (as channel settings are keyed, ``""`` when
    none) is where it was asked, whose ``audience`` setting then applies."""

    text: str
    asker: Actor
    platform: Platform
    workspace: str = ""
    channel: str = ""


class AskStatus(enum.StrEnum):
    """What happened to a question."""

    ANSWERED = "answered"  # ``Asked.answer`` holds the answer (which may itself be a no-match)
    EMPTY = "empty"  # nothing was asked: show how to use the bot
    RATE_LIMITED = "rate-limited"  # over the per-person limit: say :func:`bot.wording.rate_limited`
    FAILED = "failed"  # the core failed (type logged): say :data:`bot.wording.SORRY`


@dataclass(frozen=True)
class Asked:
    """The outcome of :meth:`UseCases.ask` or :meth:`UseCases.answer_again`.

    ``ref`` is a reference to the question for buttons (never the text; see
    :meth:`GuidanceBot.question_ref`); ``notice`` is the sentence to deliver when there is
    no answer (for ``RATE_LIMITED`` and ``FAILED``; empty otherwise)."""

    status: AskStatus
    answer: Answer | None = None
    ref: str = ""
    notice: str = ""

    @property
    def answered(self) -> bool:
        return self.status is AskStatus.ANSWERED and self.answer is not None


# -- messages in channels ----------------------------------------------------------------------
class Handling(enum.StrEnum):
    """What :meth:`UseCases.handle_message` did with a message."""

    IGNORED = "ignored"  # channel not monitored and the bot not addressed: nothing claimed
    DUPLICATE = "duplicate"  # the event was claimed before (a platform retry or replay)
    ADDRESSED = "addressed"  # not monitored, but the bot was addressed: the adapter answers
    CLEAR = "clear"  # screened, nothing found
    FLAGGED = "flagged"  # screened and flagged: ``Outcome.deliveries`` says who is told


class To(enum.StrEnum):
    """Who a delivery goes to."""

    POSTER = "poster"  # a private notice to the poster (ephemeral, DM); never the text
    MODERATORS = "moderators"  # the redacted note in ``Delivery.channel``
    REPORTER = "reporter"  # the private thanks to whoever reported a message


@dataclass(frozen=True)
class Delivery:
    """One thing to deliver: to whom, and where (the moderators' channel id for
    ``MODERATORS``). ``text`` is the shared wording for deliveries that are a sentence
    (the reporter's thanks); notices are rendered by the adapter from the flag."""

    to: To
    channel: str = ""
    text: str = ""

    @property
    def effect(self) -> str:
        """The name of this delivery as an effect of a durable job (``notice``,
        ``moderators``, ``thanks``): an adapter working a job records it as done just
        before it delivers (:meth:`bot.jobs.Durable.once`) and skips it on a replay."""
        return _EFFECTS[self.to]


_EFFECTS = {To.POSTER: "notice", To.MODERATORS: "moderators", To.REPORTER: "thanks"}


@dataclass(frozen=True)
class Outcome:
    """The outcome of :meth:`UseCases.handle_message` or :meth:`UseCases.report`: what was
    done and what to deliver to whom. The adapter renders each delivery in its idiom."""

    handling: Handling
    settings: ChannelSettings | None = None
    message: Message | None = None  # as screened (with what the adapter's ``enrich`` added)
    flag: Flag | None = None
    flag_id: str = ""
    link: str = ""  # the message's permalink, when the adapter's ``locate`` gave one
    deliveries: tuple[Delivery, ...] = ()
    delete: bool = False  # the deployment deletes flagged messages (``delete_flagged``)

    @property
    def moderators(self) -> str:
        """The moderators' channel told of this flag, or ``""``."""
        return next((d.channel for d in self.deliveries if d.to is To.MODERATORS), "")

    @property
    def screened(self) -> bool:
        return self.handling in (Handling.CLEAR, Handling.FLAGGED)


# -- saved professions -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    """Someone on a platform, as saved professions are keyed (the store keeps the
    pseudonym of ``actor.user_id``, never the id)."""

    platform: Platform
    workspace: str
    actor: Actor


class ProfessionStatus(enum.StrEnum):
    """What :meth:`UseCases.profession` did."""

    SHOWN = "shown"  # nothing was typed: ``audience`` is the saved one (or None)
    SAVED = "saved"  # ``audience`` is now saved
    CLEARED = "cleared"  # the saved profession was forgotten
    NOT_UNDERSTOOD = "not-understood"  # the words named no profession, or more than one
    FAILED = "failed"  # the records failed (type logged): say ``text`` (SORRY)


@dataclass(frozen=True)
class ProfessionReply:
    """The outcome of :meth:`UseCases.profession`: ``text`` is the private reply to give
    (shared wording, :mod:`bot.wording`), never holding what was typed."""

    status: ProfessionStatus
    audience: str | None = None
    text: str = ""


# -- settings -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChannelKey:
    """A channel on a platform, as settings are keyed."""

    platform: Platform
    workspace: str
    channel: str


@dataclass(frozen=True)
class SettingsChange:
    """A change to a channel's settings; ``None`` leaves a setting as it is (``""`` for
    ``moderators_channel`` or ``audience`` clears it)."""

    monitored: bool | None = None
    moderators_channel: str | None = None
    sensitivity: str | None = None
    audience: str | None = None

    def fields(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


class UseCases:
    """The operations adapters call. Holds the :class:`GuidanceBot` by composition (its
    settings, records and metrics are the core's; adapters use ``bot.metrics`` only to
    count their own requests)."""

    def __init__(self, bot: GuidanceBot) -> None:
        self.bot = bot
        self.settings = bot.settings
        self.limiter = RateLimiter(bot.settings.rate_limit_per_minute)

    # -- ask ---------------------------------------------------------------------------
    def ask(self, question: Question) -> Asked:
        """Answer one question: ``EMPTY`` when nothing was asked, ``RATE_LIMITED`` past
        ``rate_limit_per_minute`` for this person, ``FAILED`` when the core failed
        (its type logged), otherwise ``ANSWERED`` with the answer and a question ref."""
        from bot import wording

        if not question.text.strip():
            return Asked(AskStatus.EMPTY)
        if not self.limiter.allow(f"{question.platform.value}:{question.workspace}:{question.asker.user_id}"):
            log.info("%s rate limit reached", question.platform.value)
            return Asked(AskStatus.RATE_LIMITED, notice=wording.rate_limited(self.limiter.per_minute))
        known = self._known(question)
        try:
            answer = self.bot.ask(question.text, known=known)
            ref = self.bot.question_ref(question.text)
        except Exception as exc:  # noqa: BLE001 - reported as SORRY; only the type is logged
            log.error("%s ask failed: %s", question.platform.value, type(exc).__name__)
            return Asked(AskStatus.FAILED, notice=wording.SORRY)
        return Asked(AskStatus.ANSWERED, answer=answer, ref=ref)

    def _known(self, question: Question) -> Known:
        """The asker's saved profession and the channel's audience; what the records cannot
        give (a failure, logged by type) is left out, so the question is still answered."""
        profession: str | None = None
        channel: str | None = None
        try:
            profession = self.bot.profession(question.platform, question.workspace, question.asker)
            if question.channel:
                settings = self.bot.channel_settings(question.platform, question.workspace, question.channel)
                channel = settings.audience or None
        except Exception as exc:  # noqa: BLE001 - the answer matters more than the preference
            log.warning("%s asker's audience not read: %s", question.platform.value, type(exc).__name__)
        return Known(profession, channel)

    # -- saved professions --------------------------------------------------------------
    def profession(self, person: Person, text: str = "", how: str = "/gmc profession") -> ProfessionReply:
        """``text`` empty: show the saved profession; a clearing word ("clear", "none"):
        forget it; otherwise save the audience the words name (:func:`bot.audience.profession_from`)
        or say what to type. ``how`` is the platform's command, quoted in the reply. Only
        the audience is stored, keyed by the person's pseudonym; the words are neither
        stored nor logged nor repeated."""
        from bot import wording

        words = " ".join(text.split())
        try:
            if not words:
                audience = self.bot.profession(person.platform, person.workspace, person.actor)
                return ProfessionReply(ProfessionStatus.SHOWN, audience, wording.profession_shown(audience, how))
            if not person.actor.user_id:
                return ProfessionReply(ProfessionStatus.NOT_UNDERSTOOD, None, wording.profession_not_understood(how))
            if is_clear(words):
                self.bot.set_profession(person.platform, person.workspace, person.actor, None)
                log.info("%s profession cleared", person.platform.value)
                return ProfessionReply(ProfessionStatus.CLEARED, None, wording.profession_cleared(how))
            audience = profession_from(words)
            if audience is None:
                return ProfessionReply(ProfessionStatus.NOT_UNDERSTOOD, None, wording.profession_not_understood(how))
            self.bot.set_profession(person.platform, person.workspace, person.actor, audience)
        except Exception as exc:  # noqa: BLE001 - reported as SORRY; only the type is logged
            log.error("%s profession failed: %s", person.platform.value, type(exc).__name__)
            return ProfessionReply(ProfessionStatus.FAILED, None, wording.SORRY)
        log.info("%s profession saved: %s", person.platform.value, audience)
        return ProfessionReply(ProfessionStatus.SAVED, audience, wording.profession_saved(audience, how))

    def answer_again(self, citation_ids: Sequence[str], low_confidence: bool = False, ref: str = "") -> Asked:
        """The answer made of the paragraphs a button names (Share, More): no retrieval,
        no question text. ``FAILED`` when none of the ids is in the corpus or the core failed."""
        from bot import wording

        try:
            answer = self.bot.answer_from(citation_ids, low_confidence)
        except Exception as exc:  # noqa: BLE001 - reported as SORRY; only the type is logged
            log.error("answer from citations failed: %s", type(exc).__name__)
            return Asked(AskStatus.FAILED, notice=wording.SORRY)
        if not answer.citations:
            return Asked(AskStatus.FAILED, notice=wording.SORRY)
        return Asked(AskStatus.ANSWERED, answer=answer, ref=ref)

    def feedback(
        self,
        platform: Platform,
        actor: Actor,
        citation_ids: Sequence[str],
        helpful: bool,
        *,
        ref: str = "",
        question: str = "",
    ) -> None:
        """Store feedback on an answer: by question ``ref`` (buttons carrying a reference)
        or by the ``question`` text, reduced to its safe excerpt first."""
        if ref or not question:
            self.bot.record_feedback_ref(platform.value, actor, ref, citation_ids, helpful)
        else:
            self.bot.record_feedback(platform.value, actor, question, citation_ids, helpful)
        log.info("%s feedback helpful=%s citations=%d", platform.value, helpful, len(citation_ids))

    # -- messages ----------------------------------------------------------------------
    def handle_message(
        self,
        message: Message,
        *,
        event_id: str = "",
        addressed: bool = False,
        enrich: Callable[[Message], Message] | None = None,
        locate: Callable[[Message], str] | None = None,
        flag_id: str = "",
    ) -> Outcome:
        """A message posted in a channel: read the channel's settings; unless it is
        monitored (or the bot is ``addressed``), ``IGNORED``; claim ``event_id`` (a
        duplicate is ``DUPLICATE``); if not monitored, ``ADDRESSED``; else ``enrich`` it
        (the adapter adds what it carries, e.g. images' text; called only for monitored
        channels), screen it at the channel's sensitivity, and on a flag ``locate`` it (a
        permalink, or ``""``), record the flag and say who is told: the poster always,
        the moderators when the channel or the deployment names their channel.

        Durable work (:mod:`bot.jobs`): an adapter replaying a job passes no ``event_id``
        (the job claimed it) and ``flag_id`` from :meth:`bot.jobs.Job.effect_id`, so a
        replay records the same flag once; each delivery names its effect
        (:attr:`Delivery.effect`) for the adapter to mark before it delivers."""
        conv = message.conversation
        settings = self.bot.channel_settings(conv.platform, conv.workspace, conv.channel)
        if not (settings.monitored or addressed):
            return Outcome(Handling.IGNORED, settings)
        if not self.claim(conv.platform, event_id):
            return Outcome(Handling.DUPLICATE, settings)
        if not settings.monitored:
            return Outcome(Handling.ADDRESSED, settings)
        if enrich is not None:
            message = enrich(message)
        flag = self.bot.screen(message, settings.sensitivity).flag
        if flag is None:
            return Outcome(Handling.CLEAR, settings, message)
        link = locate(message) if locate is not None else ""
        delete = self.settings.delete_flagged
        return self._flagged(message, flag, settings, link, (Delivery(To.POSTER),), delete=delete, flag_id=flag_id)

    def claim(self, platform: Platform, event_id: str) -> bool:
        """True the first time ``event_id`` is seen (always True for ``""``); a duplicate
        is counted in the metrics."""
        if not event_id or self.bot.claim_event(platform.value, event_id):
            return True
        log.info("%s duplicate event %s ignored", platform.value, event_id)
        self.bot.metrics.platform_requests.labels(platform.value, "duplicate").inc()
        return False

    def report(
        self,
        message: Message,
        *,
        enrich: Callable[[Message], Message] | None = None,
        link: str = "",
        locate: Callable[[Message], str] | None = None,
    ) -> Outcome:
        """Someone reported ``message`` ("Report to gmcbot"): always a flag (screened at
        high sensitivity), recorded with ``link`` (or what ``locate`` gives), and the
        moderators told when a channel is set; the reporter is thanked privately; the
        poster is not told who reported."""
        from bot import wording

        if enrich is not None:
            message = enrich(message)
        flag = self.bot.report(message)
        if not link and locate is not None:
            link = locate(message)
        conv = message.conversation
        settings = self.bot.channel_settings(conv.platform, conv.workspace, conv.channel)
        outcome = self._flagged(message, flag, settings, link, ())
        thanks = wording.REPORT_THANKS if outcome.moderators else wording.REPORT_RECORDED
        return dataclasses.replace(outcome, deliveries=(*outcome.deliveries, Delivery(To.REPORTER, text=thanks)))

    def _flagged(
        self,
        message: Message,
        flag: Flag,
        settings: ChannelSettings,
        link: str,
        first: tuple[Delivery, ...],
        *,
        delete: bool = False,
        flag_id: str = "",
    ) -> Outcome:
        stored = dataclasses.replace(message, ref=link or message.ref)
        flag_id = self.bot.record_flag(stored, flag, flag_id)
        moderators = settings.moderators_channel or self.settings.moderators_channel
        deliveries = first + ((Delivery(To.MODERATORS, channel=moderators),) if moderators else ())
        conv = message.conversation
        log.info("%s flag %s category=%s channel=%s", conv.platform.value, flag_id, flag.category.value, conv.channel)
        return Outcome(
            Handling.FLAGGED,
            settings,
            message,
            flag,
            flag_id,
            link,
            deliveries,
            delete=delete,
        )

    # -- review ------------------------------------------------------------------------
    def review(
        self,
        flag_id: str,
        decision: FlagStatus,
        actor: Actor,
        role: Role,
        *,
        platform: Platform,
        workspace: str = "",
        from_channel: str = "",
        vouched: bool = False,
        vouch: Callable[[], bool] | None = None,
    ) -> Decision:
        """A poster's or moderator's click on a flag, through the rules of
        :mod:`bot.review`. A moderator is ``vouched`` for by the adapter (a platform
        role), or clicks from the moderators' channel (``from_channel``) in the flag's
        ``workspace``; when refused only for not being a moderator, ``vouch`` (a platform
        look-up, e.g. "is this user a workspace admin?") is asked once and the decision
        retried. A refusal's ``message`` is for the clicker only."""

        def decide(vouched_now: bool) -> Decision:
            return self.bot.decide_flag(
                flag_id,
                decision,
                actor,
                role,
                vouched=vouched_now,
                workspace=workspace,
                from_channel=from_channel,
                source=platform.value,
            )

        result = decide(vouched)
        if (
            not vouched
            and vouch is not None
            and result.outcome is DecisionOutcome.REFUSED
            and result.message == NOT_MODERATOR
            and vouch()
        ):
            result = decide(True)
        log.info("%s flag %s %s by %s: %s", platform.value, flag_id, decision.value, role.value, result.outcome.value)
        return result

    # -- settings ----------------------------------------------------------------------
    def channel_settings(self, channel: ChannelKey) -> ChannelSettings:
        """A channel's settings (defaults when never set: not monitored)."""
        return self.bot.channel_settings(channel.platform, channel.workspace, channel.channel)

    def configure(self, channel: ChannelKey, change: SettingsChange, actor: Actor) -> ChannelSettings:
        """Apply ``change`` to a channel's settings and return them as they now stand
        (an empty change only reads them). The adapter has checked ``actor`` may (its
        platform's admin role); the change is logged by field names and ids only."""
        current = self.channel_settings(channel)
        fields = change.fields()
        if not fields:
            return current
        updated = self.bot.update_channel_settings(dataclasses.replace(current, **fields))
        log.info(
            "%s settings channel=%s changed=%s monitored=%s moderators=%s audience=%s",
            channel.platform.value,
            updated.channel,
            ",".join(sorted(fields)),
            updated.monitored,
            updated.moderators_channel or "-",
            updated.audience or "-",
        )
        return updated

    # -- helpers adapters need --------------------------------------------------------------
    def read_image(self, data: bytes) -> str:
        """The text to screen for an image (offline OCR, in memory); ``""`` when unreadable."""
        return self.bot.read_image(data)
