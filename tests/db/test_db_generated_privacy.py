"""Proof with generated values: no identifier survives, however it is written (issue 12).

Messages are built from templates with Faker values and valid NHS, CHI and H&C numbers in
every written form (:mod:`tests.generated`): ``GENERATED_MESSAGES`` of them, 400 in
``make test`` and 10,000 in ``make fuzz``. Each goes through the real screening; its flag,
outcome and answer feedback are recorded through ``GuidanceBot`` into a real database
(SQLite and PostgreSQL); the moderators' notices for Slack and Discord are rendered, the
``gmcbot check --json`` output written, the audit export made, the metrics scraped, and
every log record kept at DEBUG, in text and in JSON. No generated value may appear in any
of it, and every message about a patient (by its wording, or holding a health number or a
date of birth) must be flagged ``patient-identifiable``. The needles are the
generated values themselves, not what screening found, so a miss cannot hide.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.cli.audit_cmds import feedback_json, flag_json
from adapters.discord.translate import moderator_notice
from adapters.slack import blocks as bk
from bot.config import Settings
from bot.logsetup import JsonFormatter
from bot.service import GuidanceBot
from bot.store import SqlRecords
from bot.types import Actor, Conversation, FlagStatus, Message, Platform
from index.embedders import HashingEmbedder
from tests.db.test_db_no_patient_data import stored_text
from tests.generated import GENERATED_MESSAGES, generate
from tests.privacy import leaks, leaks_among, log_text, unsafe_tokens


def post(i: int, text: str) -> Message:
    return Message(
        text=text,
        actor=Actor(f"U{i:06d}"),
        ref=f"https://trust.slack.com/archives/C1/p{i}",
        conversation=Conversation(Platform.SLACK, workspace="T1", channel="C1"),
    )


def test_no_generated_identifier_is_stored_posted_or_logged(
    database_url: str,
    db_settings: Settings,
    open_store: Callable[..., SqlRecords],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    generated = [generate(seed) for seed in range(GENERATED_MESSAGES)]
    caplog.set_level(logging.DEBUG)
    store = open_store()
    guide = GuidanceBot(db_settings, embedder=HashingEmbedder(), records=store)
    problems: list[str] = []
    outputs: list[str] = []
    batch = 100
    for start in range(0, len(generated), batch):
        chunk = generated[start : start + batch]
        messages = [post(start + n, g.text) for n, g in enumerate(chunk)]
        for n, (g, message, result) in enumerate(zip(chunk, messages, guide.screen_many(messages), strict=True)):
            i = start + n
            if g.about_patient and (
                result.flag is None or "patient-identifiable" not in {c.value for c in result.flag.categories}
            ):
                problems.append(f"#{i} not flagged as patient-identifiable: {g.text!r} ({', '.join(g.kinds)})")
            bad = unsafe_tokens(result.redacted)
            if bad:
                problems.append(f"#{i} unsafe tokens {bad} in {result.redacted!r}")
            if result.flag is None:
                outputs.append(json.dumps(result.to_json(), ensure_ascii=False))
                found = leaks(g.needles, outputs[-1])
                if found:
                    problems.append(f"#{i} {g.text!r}: {[n.text for n in found]} in {result.redacted!r}")
                guide.record_feedback("slack", message.actor, message.text, [], False)
                continue
            flag_id = guide.record_flag(message, result.flag)
            guide.set_flag_status(flag_id, FlagStatus.CONFIRMED, Actor("UMODERATOR"))
            guide.record_feedback("slack", message.actor, message.text, [c.id for c in result.flag.citations], True)
            here = [
                json.dumps(result.to_json(), ensure_ascii=False),
                json.dumps(bk.moderator_blocks(result.flag, flag_id, "C1", message.ref), ensure_ascii=False),
                json.dumps(bk.flag_notice_blocks(result.flag, flag_id, True), ensure_ascii=False),
                json.dumps(
                    [e.to_dict() for e in moderator_notice(result.flag, flag_id, message.ref, 1, 2).embeds],
                    ensure_ascii=False,
                ),
            ]
            found = leaks(g.needles, "\n".join(here))
            if found:
                problems.append(f"#{i} {g.text!r}: {[n.text for n in found]} in {result.redacted!r}")
            outputs.append(here[0])
    assert store.pending == 0
    export = json.dumps(
        [flag_json(f) for f in store.flags()] + [feedback_json(f) for f in store.feedback()], ensure_ascii=False
    )
    store.close()
    metrics = guide.metrics.render()[0].decode("utf-8")
    logs = log_text(caplog.records) + "\n".join(JsonFormatter().format(r) for r in caplog.records)
    stored = stored_text(database_url)
    assert "gmc-conf-2017" in stored  # the search looks at stored rows, not at nothing
    # Six digits alone (a two-digit-year date of birth run together) turn up by chance in
    # thousands of stored timestamps' microseconds; they are checked per message above.
    owners = [(i, n) for i, g in enumerate(generated) for n in g.needles if not (n.text.isdigit() and len(n.text) < 8)]
    needles = [n for _, n in owners]
    for where, haystack in (("database", stored), ("export", export), ("logs", logs), ("metrics", metrics)):
        for k in sorted(leaks_among(needles, haystack)):
            owner, needle = owners[k]
            problems.append(f"#{owner} {generated[owner].text!r}: {needle.text!r} in the {where}")
    assert problems == [], f"{len(problems)} problem(s) in {len(generated)} messages:\n" + "\n".join(problems[:40])
    assert len(outputs) == len(generated)
