"""Questions told as a story: a sentence that matches a paragraph keeps the question from
being declined for low similarity (bot.query.question_segments, GuidanceBot._story_confidence)."""

from __future__ import annotations

import dataclasses

import pytest

from bot.answering import Thresholds
from bot.query import question_segments
from bot.retrieval import Ranking

STORY = (
    "Gave my mobile number to a bereaved mum at the funeral. She now messages me most nights. Where is the line here?"
)


def test_a_story_splits_into_its_sentences() -> None:
    assert question_segments(STORY) == [
        "Gave my mobile number to a bereaved mum at the funeral.",
        "She now messages me most nights.",
        "Where is the line here?",
    ]


@pytest.mark.parametrize(
    "question",
    ["can I reply to a patient on Twitter?", "Hi. Can I reply to a patient on Twitter?", "", "ok. ok. ok."],
)
def test_one_sentence_of_substance_gives_no_segments(question: str) -> None:
    assert question_segments(question) == []


def test_lines_split_too() -> None:
    assert question_segments("patient sent me a friend request\nshould I accept it") == [
        "patient sent me a friend request",
        "should I accept it",
    ]


class _Retriever:
    def __init__(self, best: float) -> None:
        self.best = best
        self.embedded: list[str] = []

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.embedded += list(texts)
        return [[0.0]] * len(texts)

    def best_support(self, vectors: object) -> float:
        return self.best


def _ranking(confidence: float, inside: float = 0.5, outside: float = 0.2) -> Ranking:
    return Ranking([], confidence, inside, outside, "")


def test_a_matching_sentence_lifts_a_low_confidence(hashing_bot, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _Retriever(0.45)
    monkeypatch.setattr(type(hashing_bot), "retriever", property(lambda self: fake))
    lifted = hashing_bot._story_confidence(STORY, _ranking(0.2), Thresholds(0.31, 0.40, 0.0))
    assert lifted.confidence == 0.45 and len(fake.embedded) == 3


def test_nothing_changes_above_the_threshold_for_one_sentence_or_out_of_scope(
    hashing_bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _Retriever(0.9)
    monkeypatch.setattr(type(hashing_bot), "retriever", property(lambda self: fake))
    th = Thresholds(0.31, 0.40, 0.0)
    confident = _ranking(0.35)
    assert hashing_bot._story_confidence(STORY, confident, th) is confident
    single = _ranking(0.2)
    assert hashing_bot._story_confidence("can i keep a gift from a patient", single, th) is single
    outside = _ranking(0.2, inside=0.3, outside=0.6)  # nearer questions the corpus does not answer
    assert hashing_bot._story_confidence(STORY, outside, th) is outside
    assert fake.embedded == []
    worse = _Retriever(0.1)
    monkeypatch.setattr(type(hashing_bot), "retriever", property(lambda self: worse))
    low = _ranking(0.2)
    assert dataclasses.asdict(hashing_bot._story_confidence(STORY, low, th)) == dataclasses.asdict(low)
