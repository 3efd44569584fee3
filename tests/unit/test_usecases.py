"""The use cases (bot.usecases) on their own: what handle_message does with a message in
each kind of channel, who is told, the rate limit, failures, review's vouch and settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot import (
    Actor,
    AskStatus,
    ChannelKey,
    ChannelSettings,
    Conversation,
    FlagStatus,
    GuidanceBot,
    Handling,
    Message,
    Platform,
    Question,
    Role,
    Settings,
    SettingsChange,
    To,
    UseCases,
    wording,
)
from bot.records import MemoryRecords
from index.embedders import HashingEmbedder

FLAGGED = "Patient in resus is John Carter, NHS no 943 476 5919"
ORDINARY = "Handover is at 8pm tonight in the seminar room."
WARD = Conversation(Platform.SLACK, "T1", "C0WARD")


@pytest.fixture
def core(tmp_path: Path) -> UseCases:
    settings = Settings(data_dir=tmp_path, embedder="hashing", rate_limit_per_minute=2)
    return UseCases(GuidanceBot(settings, embedder=HashingEmbedder()))


def message(text: str, user: str = "U1") -> Message:
    return Message(text=text, actor=Actor(user_id=user), conversation=WARD, ref="1.2")


def monitor(core: UseCases, moderators: str = "C0MODS") -> None:
    core.bot.update_channel_settings(
        ChannelSettings(Platform.SLACK, "T1", "C0WARD", monitored=True, moderators_channel=moderators)
    )


def test_an_unmonitored_channel_is_ignored_and_nothing_is_claimed(core: UseCases) -> None:
    outcome = core.handle_message(message(FLAGGED), event_id="Ev1")
    assert outcome.handling is Handling.IGNORED and outcome.deliveries == ()
    assert core.bot.claim_event("slack", "Ev1")  # still unclaimed


def test_addressed_in_an_unmonitored_channel_is_claimed_not_screened(core: UseCases) -> None:
    outcome = core.handle_message(message(FLAGGED), event_id="Ev2", addressed=True)
    assert outcome.handling is Handling.ADDRESSED and outcome.flag is None
    assert core.handle_message(message(FLAGGED), event_id="Ev2", addressed=True).handling is Handling.DUPLICATE


def test_a_flag_is_recorded_and_names_who_is_told(core: UseCases) -> None:
    monitor(core)
    seen: list[str] = []

    def enrich(m: Message) -> Message:
        seen.append("enrich")
        return m

    outcome = core.handle_message(message(FLAGGED), event_id="Ev3", enrich=enrich, locate=lambda m: "https://link")
    assert outcome.handling is Handling.FLAGGED and outcome.flag is not None and seen == ["enrich"]
    assert [d.to for d in outcome.deliveries] == [To.POSTER, To.MODERATORS] and outcome.moderators == "C0MODS"
    record = core.bot.records.flag(outcome.flag_id)
    assert record is not None and record.message_ref == "https://link" and "Carter" not in record.redacted
    assert core.handle_message(message(FLAGGED), event_id="Ev3").handling is Handling.DUPLICATE


def test_a_replayed_job_records_its_flag_once_and_names_each_effect(core: UseCases) -> None:
    """Durable work (issue 16): the job's flag id makes a replay's record a no-op, and each
    delivery names the effect an adapter marks before sending it."""
    monitor(core)
    flag_id = "f" * 32
    first = core.handle_message(message(FLAGGED), flag_id=flag_id)
    again = core.handle_message(message(FLAGGED), flag_id=flag_id)  # the replay: no event id, same flag id
    assert first.flag_id == again.flag_id == flag_id
    records = core.bot.records
    assert isinstance(records, MemoryRecords) and list(records.flags) == [flag_id]
    assert [d.effect for d in first.deliveries] == ["notice", "moderators"]


def test_without_a_moderators_channel_only_the_poster_is_told(core: UseCases) -> None:
    monitor(core, moderators="")
    outcome = core.handle_message(message(FLAGGED))
    assert [d.to for d in outcome.deliveries] == [To.POSTER]


def test_an_ordinary_message_is_clear(core: UseCases) -> None:
    monitor(core)
    assert core.handle_message(message(ORDINARY)).handling is Handling.CLEAR


def test_a_report_always_flags_and_thanks_the_reporter(core: UseCases) -> None:
    outcome = core.report(message(ORDINARY), link="https://link")
    assert outcome.flag is not None and [d.to for d in outcome.deliveries] == [To.REPORTER]
    assert outcome.deliveries[0].text == wording.REPORT_RECORDED


def test_ask_limits_each_person_and_reports_failures(core: UseCases) -> None:
    q = Question("can I accept a friend request from a patient?", Actor("U1"), Platform.SLACK, "T1")
    assert core.ask(Question("  ", Actor("U1"), Platform.SLACK)).status is AskStatus.EMPTY
    first = core.ask(q)
    assert first.answered and first.ref
    assert core.ask(q).answered
    limited = core.ask(q)
    assert limited.status is AskStatus.RATE_LIMITED and limited.notice == wording.rate_limited(2)
    other = Question(q.text, Actor("U2"), Platform.SLACK, "T1")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("down")

    core.bot.ask = broken  # type: ignore[method-assign]
    failed = core.ask(other)
    assert failed.status is AskStatus.FAILED and failed.notice == wording.SORRY


def test_answer_again_uses_the_ids_without_retrieval(core: UseCases) -> None:
    answer = core.bot.ask("can I accept a friend request from a patient?")
    ids = [c.id for c in answer.citations]
    again = core.answer_again(ids)
    assert again.answer is not None and [c.id for c in again.answer.citations] == ids
    assert core.answer_again(["nope:1"]).status is AskStatus.FAILED


def test_review_asks_vouch_only_when_refused_for_not_being_a_moderator(core: UseCases) -> None:
    monitor(core)
    flag_id = core.handle_message(message(FLAGGED, user="U1")).flag_id
    asked: list[str] = []

    def vouch() -> bool:
        asked.append("vouch")
        return True

    poster = core.review(flag_id, FlagStatus.REMOVED, Actor("U1"), Role.POSTER, platform=Platform.SLACK, vouch=vouch)
    assert poster.ok and asked == []
    decided = core.review(
        flag_id, FlagStatus.CONFIRMED, Actor("U9"), Role.MODERATOR, platform=Platform.SLACK, workspace="T1", vouch=vouch
    )
    assert decided.ok and asked == ["vouch"]
    record = core.bot.records.flag(flag_id)
    assert record is not None and record.status is FlagStatus.CONFIRMED


def test_configure_changes_only_what_is_given(core: UseCases) -> None:
    key = ChannelKey(Platform.SLACK, "T1", "C0WARD")
    assert core.configure(key, SettingsChange(), Actor("UA")).monitored is False
    on = core.configure(key, SettingsChange(monitored=True, sensitivity="high"), Actor("UA"))
    assert on.monitored and on.sensitivity == "high" and on.moderators_channel == ""
    cleared = core.configure(key, SettingsChange(moderators_channel=""), Actor("UA"))
    assert cleared.monitored and cleared.sensitivity == "high"
