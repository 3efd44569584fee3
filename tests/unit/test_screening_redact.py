"""Redaction with typed placeholders."""

from __future__ import annotations

from bot.screening.redact import placeholder, redact
from bot.types import Finding


def test_each_kind_has_its_placeholder() -> None:
    text = "NHS 943 476 5919 DOB 12/03/1954"
    out = redact(text, [Finding("nhs-number", 4, 16), Finding("dob", 21, 31)])
    assert out == "NHS [NHS-NUMBER] DOB [DOB]"
    assert placeholder("hospital-number") == "[HOSPITAL-NUMBER]"
    assert placeholder("something-new") == "[REDACTED]"


def test_overlapping_spans_merge() -> None:
    out = redact("abcdefghij", [Finding("name", 2, 6), Finding("phone", 4, 8)])
    assert out == "ab[NAME]ij"


def test_spans_are_clipped_to_the_text() -> None:
    assert redact("abc", [Finding("email", 1, 99)]) == "a[EMAIL]"
    assert redact("", []) == ""
