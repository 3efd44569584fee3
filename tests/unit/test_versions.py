"""Questions about a document's standing are answered from the documents' metadata."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot import render_answer, wording
from bot.corpus import Corpus, load_corpus
from bot.types import AnswerStatus, DocStatus
from bot.versions import is_status_question, named_document, status_answer, status_note


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus()


@pytest.mark.parametrize(
    "question",
    [
        "is the 2013 GMC social media guidance still in force?",
        "has the old gmc guidance on social media been replaced",
        "which version of good medical practice applies now",
        "is the hcpc guidance up to date",
    ],
)
def test_status_questions_are_recognised(question: str) -> None:
    assert is_status_question(question)


@pytest.mark.parametrize(
    "question",
    [
        "can i accept a friend request from a patient",
        "what did the 2013 guidance say about anonymity",
        "is it ok to post a photo of a patient's x-ray",
    ],
)
def test_other_questions_are_not_status_questions(question: str) -> None:
    assert not is_status_question(question)


def test_a_replaced_document_is_answered_no_with_its_successor_first(corpus: Corpus) -> None:
    answer = status_answer("Is the 2013 GMC social media guidance still in force?", corpus)
    assert answer is not None and answer.status is AnswerStatus.ANSWERED
    assert [c.paragraph.doc_id for c in answer.citations] == ["gmc-sm-2024", "gmc-sm-2013"]
    assert not answer.citations[0].superseded
    old, new = corpus.documents["gmc-sm-2013"], corpus.documents["gmc-sm-2024"]
    assert answer.note.startswith("No:")
    assert old.title in answer.note and new.title in answer.note and "30 January 2024" in answer.note


def test_old_picks_the_replaced_document_and_a_current_one_says_so(corpus: Corpus) -> None:
    docs = list(corpus.documents.values())
    old = named_document("is the old GMC social media guidance still valid", docs)
    assert old is not None and old.status is DocStatus.SUPERSEDED
    nmc = named_document("is the NMC social media guidance still current?", docs)
    assert nmc is not None and nmc.doc_id == "nmc-sm"
    answer = status_answer("is the NMC social media guidance still current?", corpus)
    assert answer is not None and "is in force" in answer.note and not answer.note.startswith("No")


def test_an_earlier_version_named_only_in_a_note_is_reported_replaced(corpus: Corpus) -> None:
    answer = status_answer("is good medical practice 2013 still in force", corpus)
    assert answer is not None
    assert answer.citations[0].paragraph.doc_id == "gmc-gmp-2024"
    assert answer.note.startswith("No: the version you ask about was replaced.")


def test_an_advisory_document_is_called_advisory(corpus: Corpus) -> None:
    bma = corpus.documents["bma-sm-2011"]
    assert "advisory" in status_note(bma, None)


def test_no_named_document_leaves_the_question_to_retrieval(corpus: Corpus) -> None:
    assert status_answer("is the rota still up to date?", corpus) is None
    assert status_answer("can i accept a friend request", corpus) is None


def test_the_note_is_shown_first_on_every_platform(corpus: Corpus) -> None:
    from adapters.discord.translate import answer_reply
    from adapters.slack.blocks import answer_blocks
    from adapters.teams.cards import answer_card

    answer = status_answer("Is the 2013 GMC social media guidance still in force?", corpus)
    assert answer is not None
    assert wording.answer_notes(answer)[0] == answer.note
    assert render_answer(answer).startswith("No:")
    assert "No:" in str(answer_blocks(answer, "", shareable=False)[0])
    assert "No:" in str(answer_card(answer))
    reply = answer_reply(answer)
    assert "No:" in (reply.embeds[0].description or "")
    plain = replace(answer, note="")
    assert wording.answer_notes(plain) == []
