"""Paragraphs listed under "See also" carry their document's status: superseded guidance
is never passed off as current in the console, Discord or Teams."""

from __future__ import annotations

import json

import pytest

from bot.corpus import load_corpus
from bot.render import render_answer, see_also_line
from bot.types import Answer, AnswerStatus, Citation


@pytest.fixture(scope="module")
def answer() -> Answer:
    corpus = load_corpus()
    by_id = {p.id: p for p in corpus.paragraphs}

    def cite(pid: str) -> Citation:
        p = by_id[pid]
        return Citation(p, corpus.documents[p.doc_id], 0.5)

    return Answer(
        "can I reply to a patient on Twitter?",
        AnswerStatus.ANSWERED,
        (cite("gmc-sm-2024:18"), cite("gmc-sm-2013:14"), cite("nmc-sm:no-relationships-with-patients")),
    )


def test_the_console_marks_a_superseded_see_also(answer: Answer) -> None:
    text = render_answer(answer)
    old, current = answer.citations[1], answer.citations[2]
    assert see_also_line(old) in text and "[superseded on 2024-01-30; history only]" in see_also_line(old)
    assert "superseded" not in see_also_line(current)


def test_discord_and_teams_mark_it_too(answer: Answer) -> None:
    from adapters.discord.translate import citation_embed
    from adapters.teams.cards import answer_card

    embed = citation_embed(answer.citations[0], see_also=answer.citations[1:])
    see_also = str(next(f.value for f in embed.fields if f.name == "See also"))
    assert "[superseded on 2024-01-30; history only]" in see_also
    card = json.dumps(answer_card(answer))  # brackets are escaped for Teams' markdown
    assert "superseded on 2024-01-30; history only" in card and card.count("history only") == 1
