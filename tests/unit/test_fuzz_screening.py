"""Fuzzing the core's entry points, ``GuidanceBot.screen``/``screen_many`` and ``ask``,
with arbitrary strings (any Unicode, lone surrogates as JSON can carry them, control
characters, very long texts) and messages: no exception escapes, the output limits hold,
what screening returns can always be stored, and batching changes nothing.

Screener-level properties (every detected span redacted) are in
tests/unit/test_screening_properties.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.query import MAX_QUESTION_CHARS
from bot.screening.policy import MAX_CITATIONS, MAX_REASONS
from bot.service import GuidanceBot
from bot.store import SqlRecords, open_records
from bot.types import Actor, AnswerStatus, Conversation, Message, Platform
from index.embedders import HashingEmbedder

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

pieces = st.sampled_from(
    [
        "NHS no 943 476 5919",
        "CHI 2303541239",
        "DOB 12/03/1954",
        "LE11 3TU",
        "07700 900123",
        "kev.morgan77@gmail.com",
        "Hospital no RX1234567",
        "Mrs Adeyemi in bed 9",
        "the patient in bay 4",
        "guess who",
        "lol",
        "😂",
        "\u202e",
        "\ufeff",
        "\x00",
        "\r\n",
        "\t",
        "<@U123>",
        "<https://x.org|x>",
        " ",
        "\ud800",
        "\udfff",
    ]
)
any_unicode = st.text(alphabet=st.characters(blacklist_categories=()), max_size=200)  # surrogates included
texts = st.one_of(
    st.lists(st.one_of(pieces, st.text(max_size=30), any_unicode), max_size=12).map("".join),
    any_unicode,
    st.text(alphabet="943 476 5919ab\n", min_size=2000, max_size=20000),
)
conversations = st.builds(
    Conversation,
    platform=st.sampled_from(list(Platform)),
    workspace=st.text(max_size=10),
    channel=st.text(max_size=10),
    thread=st.text(max_size=10),
    is_direct=st.booleans(),
)
messages = st.builds(
    Message,
    text=texts,
    actor=st.builds(Actor, user_id=st.text(max_size=20)),
    conversation=conversations,
    ref=st.text(max_size=30),
    has_image=st.booleans(),
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GuidanceBot, SqlRecords]]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz-core")
    settings_ = Settings(data_dir=data_dir, embedder="hashing")
    records = open_records(settings_)
    bot = GuidanceBot(settings_, embedder=HashingEmbedder(), records=records)
    bot.warm_up(screening=True)
    yield bot, records
    records.close()


@FUZZ
@given(message=messages)
def test_screening_any_message_never_raises_and_its_result_can_be_stored(
    world: tuple[GuidanceBot, SqlRecords], message: Message
) -> None:
    bot, records = world
    result = bot.screen(message)
    result.redacted.encode("utf-8")  # storable, loggable, sendable: no lone surrogates
    assert len(result.redacted) <= len(message.text) + 40 * len(result.findings) + 20
    for finding in result.findings:
        assert 0 <= finding.start < finding.end <= len(message.text)
    flag = result.flag
    if flag is not None:
        assert flag.redacted == result.redacted
        assert 1 <= len(flag.reasons) <= MAX_REASONS and 1 <= len(flag.citations) <= MAX_CITATIONS
        assert flag.category in flag.categories or not flag.categories
        for reason in flag.reasons:  # fixed wordings: nothing of the message
            for finding in result.findings:
                span = message.text[finding.start : finding.end]
                assert len(span) < 5 or span not in reason
        flag_id = bot.record_flag(message, flag)
        assert records.pending == 0 and flag_id
    assert bot.screen(message) == result  # deterministic


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(batch=st.lists(messages, max_size=6))
def test_screening_a_batch_gives_what_screening_one_by_one_gives(
    world: tuple[GuidanceBot, SqlRecords], batch: list[Message]
) -> None:
    bot, _ = world
    assert bot.screen_many(batch) == [bot.screen(m) for m in batch]


@FUZZ
@given(question=texts, top=st.integers(1, 5))
def test_asking_anything_never_raises_and_keeps_its_limits(
    world: tuple[GuidanceBot, SqlRecords], question: str, top: int
) -> None:
    bot, _ = world
    answer = bot.ask(question, top=top)
    assert answer.status in tuple(AnswerStatus)
    assert len(answer.citations) <= top
    assert len(answer.question) <= MAX_QUESTION_CHARS
    if answer.status is AnswerStatus.NO_MATCH and not question.strip():
        assert answer.citations == ()
