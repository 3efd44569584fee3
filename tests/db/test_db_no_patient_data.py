"""Proof, store side, that no patient data is stored.

Every risky development message (and each one holding an NHS number again with the
number spaced differently) goes through the real screening; its flag, outcome and
answer feedback are recorded through GuidanceBot into a real database. Then the raw
bytes of the SQLite file (every row of every table on PostgreSQL) and every log record
are searched for each identifier screening found in that line, in every spelling: none
may appear. The Slack adapter's half (messages sent to the fake Slack API) reuses
``tests.privacy``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.service import GuidanceBot
from bot.store import SqlRecords
from bot.store.engine import make_engine
from bot.store.urls import normalise_url
from bot.types import Actor, Conversation, Finding, Flag, FlagStatus, Message, Platform, Screening
from index.embedders import HashingEmbedder
from tests.privacy import Needle, database_text, identifiers_in, leaks, log_text, risky_lines, sqlite_text


def stored_text(database_url: str) -> str:
    url = make_url(database_url)
    if url.drivername.startswith("sqlite"):
        return sqlite_text(Path(str(url.database)))
    engine = make_engine(normalise_url(database_url))
    try:
        return database_text(engine)
    finally:
        engine.dispose()


def respaced(text: str, screening: Screening) -> list[str]:
    """The message again with each NHS number run together and dashed."""
    out = []
    for f in screening.findings:
        if f.kind == "nhs-number":
            digits = re.sub(r"\D", "", text[f.start : f.end])
            for form in (digits, f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"):
                out.append(text[: f.start] + form + text[f.end :])
    return out


def slack_message(i: int, text: str) -> Message:
    return Message(
        text=text,
        actor=Actor(f"U{i:05d}"),
        ref=f"https://trust.slack.com/archives/C1/p{i}",
        conversation=Conversation(Platform.SLACK, workspace="T1", channel="C1"),
    )


def test_no_identifier_reaches_the_database_or_the_logs(
    database_url: str, db_settings: Settings, open_store: Callable[..., SqlRecords], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = open_store()
    guide = GuidanceBot(db_settings, embedder=HashingEmbedder(), records=store)
    texts = [str(line["text"]) for line in risky_lines()]
    first_pass = guide.screen_many(texts)
    texts += [variant for text, result in zip(texts, first_pass, strict=True) for variant in respaced(text, result)]

    messages = [slack_message(i, text) for i, text in enumerate(texts)]
    needles: dict[int, list[Needle]] = {}
    flagged = 0
    for i, (message, result) in enumerate(zip(messages, guide.screen_many(messages), strict=True)):
        needles[i] = identifiers_in(message.text, result)
        assert guide.claim_event("slack", f"Ev{i}")
        if result.flag is not None:
            flagged += 1
            flag_id = guide.record_flag(message, result.flag)
            guide.set_flag_status(flag_id, FlagStatus.CONFIRMED, Actor("UMODERATOR"))
        cited = [c.id for c in result.flag.citations] if result.flag else []
        guide.record_feedback("slack", message.actor, message.text, cited, helpful=i % 2 == 0)
    assert store.pending == 0
    store.close()

    kinds = {n.kind for found in needles.values() for n in found}
    assert flagged > len(texts) // 2, "screening flagged too few risky lines for this proof to mean much"
    assert {"nhs-number", "name"} <= kinds, f"screening found no NHS number or name to look for (found {kinds})"

    database, logs = stored_text(database_url), log_text(caplog.records)
    assert "gmc-sm-2024" in database  # the search looks at the stored rows, not at nothing
    problems = [
        f"line {i} ({n.kind}): {n.text!r} in {where}"
        for i, found in needles.items()
        for where, haystack in (("database", database), ("logs", logs))
        for n in leaks(found, haystack)
    ]
    assert problems == []
    for i in needles:  # no raw user id either
        assert f"U{i:05d}" not in database


def test_the_search_finds_a_planted_identifier(
    database_url: str, open_store: Callable[..., SqlRecords], make_flag: Callable[..., Flag]
) -> None:
    """Control: if redaction failed and raw text were stored, the proof above would see it."""
    text = "Patient in resus is John Carter, NHS no 943-476-5919, DOB 12/03/1954, LE11 3TU"
    spans = {"name": "John Carter", "nhs-number": "943-476-5919", "dob": "12/03/1954", "postcode": "LE11 3TU"}
    screening = Screening(
        redacted="", findings=tuple(Finding(kind, text.index(s), text.index(s) + len(s)) for kind, s in spans.items())
    )
    needles = identifiers_in(text, screening)
    store = open_store()
    store.record_flag(slack_message(1, text), make_flag(redacted="NHS 9434765919 for CARTER, le113tu"))
    store.close()
    found = {(n.kind, n.text) for n in leaks(needles, stored_text(database_url))}
    assert found == {("nhs-number", "9434765919"), ("name", "Carter"), ("postcode", "LE113TU")}
