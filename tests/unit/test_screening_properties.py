"""Hypothesis properties: screening never raises, the stored text holds only safe tokens,
and ``redact`` removes every span."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.corpus import load_corpus
from bot.screening import Screener
from bot.screening.redact import redact
from bot.types import Finding, Message
from index.embedders import HashingEmbedder
from tests.privacy import unsafe_tokens

# Pieces that exercise the detectors, mixed with arbitrary text.
PIECES = st.sampled_from(
    [
        "NHS no 943 476 5919",
        "726 018 1591",
        "CHI 2303541239",
        "H&C 352 718 9041",
        "DOB 12/03/1954",
        "LE11 3TU",
        "07700 900123",
        "kev.morgan77@gmail.com",
        "Hospital no RX1234567",
        "Mrs Adeyemi in bed 9",
        "Patient in resus is John Carter",
        "lives at 14 Orchard Close",
        "bay 4",
        "\u200b",
        "\u202e",
        "<@U123>",
        "<mailto:a@b.com|a@b.com>",
        "<https://x.org/9434765919|link>",
        "😂",
        "guess who",
        "Marsh Lane",
        " ",
        ", ",
    ]
)
MESSAGES = st.lists(st.one_of(PIECES, st.text(max_size=30)), max_size=12).map("".join)


@pytest.fixture(scope="module")
def screener(tmp_path_factory: pytest.TempPathFactory) -> Screener:
    return Screener(Settings(data_dir=tmp_path_factory.mktemp("prop")), load_corpus(), HashingEmbedder())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=MESSAGES)
def test_screening_never_raises_and_keeps_only_safe_tokens(screener: Screener, text: str) -> None:
    result = screener.screen(Message(text=text))
    for f in result.findings:
        assert 0 <= f.start < f.end <= len(text)
    # Safe by construction: every token of the stored text is a vocabulary word, a
    # placeholder, a short number or punctuation, whatever the detectors found.
    assert unsafe_tokens(result.redacted) == []
    for f in result.findings:
        found = text[f.start : f.end].strip()
        if len(found) >= 4 and f.kind != "credential":
            assert found not in result.redacted
    if result.flag is not None:
        assert result.flag.redacted == result.redacted


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200), cuts=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 200)), max_size=6))
def test_redact_replaces_exactly_the_spans(text: str, cuts: list[tuple[int, int]]) -> None:
    findings = [Finding("name", min(a, b, len(text)), min(max(a, b), len(text))) for a, b in cuts]
    findings = [f for f in findings if f.end > f.start]
    out = redact(text, findings)
    covered: set[int] = set()
    for f in findings:
        covered.update(range(f.start, f.end))
    assert "[NAME]" in text or out.replace("[NAME]", "") == "".join(ch for i, ch in enumerate(text) if i not in covered)
