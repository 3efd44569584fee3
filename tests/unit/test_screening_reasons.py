"""A flag says each reason once (issue 13: "the reasons list repeats near-identical lines")."""

from __future__ import annotations

import tomllib
from itertools import combinations
from pathlib import Path

from bot.screening.policy import distinct_reasons

SCREENING = Path(__file__).resolve().parents[2] / "guidance_corpus" / "screening"


def test_a_reason_repeating_an_earlier_ones_first_clause_is_dropped() -> None:
    reasons = [
        "It describes a social-media connection with a patient through a personal account; keep them apart.",
        "It describes a social-media connection with a patient through a personal account.",
        "It links gifts or hospitality from a company to prescribing, referral or purchasing decisions.",
        "It links gifts, hospitality or payments from a company to prescribing, referral or purchasing decisions.",
        "It shares a password, login or smartcard.",
        "It shares a password, login or smartcard.",
    ]
    assert distinct_reasons(reasons) == [reasons[0], reasons[2], reasons[4]]


def test_reasons_that_say_different_things_are_all_kept() -> None:
    reasons = [
        "It mocks a patient; every patient's dignity must be upheld.",
        "It belittles a colleague because of who they are.",
        "It shares a password, login or smartcard.",
        "It contains an NHS number.",
    ]
    assert distinct_reasons(reasons) == reasons


def test_each_category_of_the_shipped_data_keeps_most_of_its_reasons_apart() -> None:
    """Only near-copies merge (on 2026-12-07: 21 pairs of 75 reasons, each two wordings of one
    point): in every category at least four pairs in five stay apart."""
    by_category: dict[str, set[str]] = {}
    for name in ("rules.toml", "exemplars.toml"):
        data = tomllib.loads((SCREENING / name).read_text(encoding="utf-8"))
        for entries in data.values():
            for entry in entries if isinstance(entries, list) else entries.values():
                if isinstance(entry, dict) and "reason" in entry and "category" in entry:
                    by_category.setdefault(entry["category"], set()).add(entry["reason"])
    assert by_category
    for reasons in by_category.values():
        pairs = list(combinations(sorted(reasons), 2))
        merged = sum(1 for pair in pairs if len(distinct_reasons(pair)) == 1)
        assert merged <= len(pairs) // 5, (reasons, merged)
