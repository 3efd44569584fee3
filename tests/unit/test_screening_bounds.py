"""Bounded work per message (issue 12): a 40,000-character message (Slack's limit) is
screened in well under a second of CPU, whatever it holds, and the result never echoes it."""

from __future__ import annotations

import json
import time

import pytest

from bot.config import Settings
from bot.corpus import load_corpus
from bot.screening import Screener
from bot.screening.safe_excerpt import EXCERPT_CHARS
from bot.types import Message
from index.embedders import HashingEmbedder

SLACK_LIMIT = 40_000
MIXED = (
    "Patient in resus is John Carter, NHS no 943 476 5919, DOB 12/03/1954, LE11 3TU. Mrs Adeyemi in bed 9 "
    "call 07700 900123 password is Xy12!abcd https://x.org/a/9434765919 <@U123> Mr Smith O'Hare 9 4 3 "
)
HOSTILE = {
    "mixed": MIXED,
    "spaced digits": "9 ",
    "one long word": "a",
    "capitalised pairs": "Ab Cd ",
    "titles": "Mr Ab ",
    "patient words": "patient ",
    "dotted numbers": "943.476.",
    "url": "https://x.org/" + "a/" * 50 + " ",
    "look-alikes": "Јоhn Ѕmіth ",
    "arabic": "محمد أحمد ",
    "at dot": "john at gmail dot ",
}


@pytest.fixture(scope="module")
def screener(tmp_path_factory: pytest.TempPathFactory) -> Screener:
    s = Screener(Settings(data_dir=tmp_path_factory.mktemp("bounds")), load_corpus(), HashingEmbedder())
    s.screen(Message(text=MIXED))  # warm up
    return s


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_slack_sized_message_is_screened_fast_and_not_echoed(screener: Screener, name: str) -> None:
    piece = HOSTILE[name]
    text = (piece * (SLACK_LIMIT // len(piece) + 1))[:SLACK_LIMIT]
    start = time.process_time()
    result = screener.screen(Message(text=text))
    spent = time.process_time() - start
    assert spent < 1.0, f"{spent:.2f}s of CPU for {name}"
    assert len(result.redacted) <= EXCERPT_CHARS + 20
    assert len(json.dumps(result.to_json()["redacted"])) < 4 * EXCERPT_CHARS
