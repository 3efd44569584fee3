"""A trust's own policy in answers, with the real MiniLM model (issue 14, item 2).

A trust's documents (``corpus_dirs``) have no asks, so the learned reranker cannot score
them; answering decides by passage similarity whether one covers the question. With
``prefer_local`` it leads; without (the default) it is still cited beside the national
guidance; an unrelated question cites none of it."""

from __future__ import annotations

import dataclasses

import pytest

from bot.config import Settings
from bot.service import GuidanceBot
from bot.types import AnswerStatus

pytestmark = pytest.mark.model

# Two made-up trust policies, in this project's own words.
MESSAGING_POLICY = """# trust-messaging
title: Sending patient information (Example Trust)
publisher: Example Trust
status: current
in_effect: 2025-04-01
url: https://example.org/policies/messaging

## 2
heading: Which app to use for patient details
numbering: reconstructed

Staff send anything that identifies a patient only through the trust's approved secure messaging
app. WhatsApp, ordinary text messages and personal email accounts are never used for it, not even
between colleagues on the same team.
"""

ONLINE_CONTACT_POLICY = """# trust-online-contact
title: Patients who get in touch online (Example Trust)
publisher: Example Trust
status: current
in_effect: 2025-04-01
url: https://example.org/policies/online-contact

## 5
heading: When a patient messages you on social media
numbering: reconstructed

If a patient sends you a message on a social network about their care, do not advise them there.
Answer briefly, if at all, and point them to the ward's or clinic's official ways of getting in touch.
"""


@pytest.fixture(scope="module")
def trust_bots(minilm, tmp_path_factory) -> tuple[GuidanceBot, GuidanceBot]:
    """Two bots on the shipped corpus plus the trust's folder, one with ``prefer_local``
    and one without (the default); they share one data folder, so the index is built once."""
    folder = tmp_path_factory.mktemp("trust-policies")
    (folder / "trust-messaging.md").write_text(MESSAGING_POLICY, encoding="utf-8")
    (folder / "trust-online-contact.md").write_text(ONLINE_CONTACT_POLICY, encoding="utf-8")
    settings = Settings(data_dir=tmp_path_factory.mktemp("trust-data"), corpus_dirs=(folder,), prefer_local=True)
    preferring = GuidanceBot(settings, embedder=minilm)
    preferring.warm_up()
    default = GuidanceBot(dataclasses.replace(settings, prefer_local=False), embedder=minilm)
    default.warm_up()
    return preferring, default


QUESTIONS = {
    "is it alright to send a patient's details to my registrar over whatsapp?": "trust-messaging:2",
    "a patient messaged me on twitter asking about their care, should I reply?": "trust-online-contact:5",
}


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_the_trusts_policy_leads_when_preferred_and_is_cited_otherwise(trust_bots, question: str) -> None:
    preferring, default = trust_bots
    local = QUESTIONS[question]
    assert preferring.local_docs == default.local_docs == {"trust-messaging", "trust-online-contact"}
    led = preferring.ask(question)
    assert led.status is not AnswerStatus.NO_MATCH
    assert led.citations[0].id == local
    beside = default.ask(question)
    ids = [c.id for c in beside.citations]
    assert local in ids and ids[0] != local, ids  # national guidance first, the trust's own beside it


@pytest.mark.parametrize(
    "question", ["can I accept a gift from a patient's family?", "is it ok to date a former patient?"]
)
def test_an_unrelated_question_cites_no_trust_policy(trust_bots, question: str) -> None:
    for bot in trust_bots:
        ids = [c.id for c in bot.ask(question).citations]
        assert ids and not any(i.split(":", 1)[0] in bot.local_docs for i in ids), ids
