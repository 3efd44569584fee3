"""Questions about a document's standing ("is the 2013 GMC guidance still in force?"),
answered from the documents' own metadata rather than from any paragraph's text.

A paragraph rarely says that its own document was replaced, so retrieval alone answers
such questions with the old text. Here a *status question* (:func:`is_status_question`)
that names a document of the corpus (:func:`named_document`: its publisher, a year of
its dates, words of its title, "old" for a replaced one) gets a sentence built from that
document's ``status``, dates, successor and ``note`` (:func:`status_note`), and cites the
guidance in force first: the successor's opening paragraph, then the named document's.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.types import Answer, AnswerStatus, Citation, DocStatus, Document, Paragraph

if TYPE_CHECKING:
    from bot.corpus import Corpus

STATUS_RE = re.compile(
    r"\b(?:still (?:in force|valid|current|in use|in date|relevant|appl(?:y|ies)|stand)|in force|"
    r"(?:been|was|is it|it) (?:replaced|superseded|withdrawn|updated|revised|archived)|superseded|"
    r"out of date|outdated|up to date|(?:latest|current|newest|most recent|right) version|which version|"
    r"new(?:er)? version|no longer (?:valid|applies|apply|in force|current))\b",
    re.IGNORECASE,
)
OLD_RE = re.compile(r"\b(?:old|older|previous|former|earlier|original)\b", re.IGNORECASE)
_WORD_RE = re.compile(r"[a-z]+")
_YEAR_RE = re.compile(r"\b(?:19|20)\d\d\b")
# Title words too common in the corpus to name a document by themselves.
_COMMON = frozenset(
    "a an and as for guidance in of on the to using use with your you doctors doctor "
    "medical professional good practice".split()
)
_PUBLISHERS = {
    "gmc": ("gmc", "general medical council"),
    "nmc": ("nmc", "nursing and midwifery council"),
    "hcpc": ("hcpc", "health and care professions council"),
    "bma": ("bma", "british medical association"),
    "nhs england": ("nhs england", "nhse", "nhsx", "nhs digital"),
}
MIN_SCORE = 2.0  # the publisher, a year or two title words: a document is named


def is_status_question(question: str) -> bool:
    """True when the question asks whether guidance is in force, replaced or current."""
    return bool(STATUS_RE.search(question))


def _years(doc: Document) -> set[str]:
    """The years a document answers to: its own, and those of versions its note says it replaced."""
    return set(_YEAR_RE.findall(f"{doc.in_effect} {doc.doc_id} {doc.note}"))


def _score(question: str, doc: Document) -> float:
    low = question.lower()
    score = 0.0
    names = _PUBLISHERS.get(doc.publisher.lower(), (doc.publisher.lower(),))
    if any(re.search(rf"\b{re.escape(n)}\b", low) for n in names):
        score += 2.0
    asked_years = set(_YEAR_RE.findall(low))
    if asked_years & _years(doc):
        score += 2.0
    elif asked_years:
        score -= 1.0  # another year was asked about
    title = re.sub(r"\s*\(.*?\)", "", doc.title.lower()).strip()
    if title and title in low:
        score += 2.0  # the whole title, e.g. "good medical practice"
    else:
        title_words = set(_WORD_RE.findall(title)) - _COMMON
        score += min(len(title_words & set(_WORD_RE.findall(low))), 2)
    if OLD_RE.search(low):
        score += 1.0 if doc.status is DocStatus.SUPERSEDED else -0.5
    return score


def named_document(question: str, documents: Sequence[Document], ranked_docs: Sequence[str] = ()) -> Document | None:
    """The document the question names, or ``None``. Ties go to the document whose
    paragraph ranks first for the question (``ranked_docs``, best first)."""
    order = {doc_id: i for i, doc_id in reversed(list(enumerate(ranked_docs)))}
    scored = [(_score(question, d), -order.get(d.doc_id, len(order)), d) for d in documents]
    best = max(scored, key=lambda t: (t[0], t[1]), default=None)
    if best is None or best[0] < MIN_SCORE:
        return None
    return best[2]


def _date(value: str) -> str:
    """``2024-01-30`` -> ``30 January 2024``; ``2018-11`` -> ``November 2018``; else as written."""
    try:
        day = datetime.date.fromisoformat(value)
        return f"{day.day} {day:%B %Y}"
    except ValueError:
        pass
    try:
        return f"{datetime.date.fromisoformat(value + '-01'):%B %Y}"
    except ValueError:
        return value


def status_note(doc: Document, successor: Document | None, question: str = "") -> str:
    """One or two sentences on the document's standing, from its metadata only. A
    ``question`` asking about a year that is only in the note (an earlier version the
    document replaced) is told that version was replaced."""
    name = f"{doc.title} ({doc.publisher})"
    asked = set(_YEAR_RE.findall(question))
    own = set(_YEAR_RE.findall(f"{doc.in_effect} {doc.doc_id}"))
    if asked and not asked & own and doc.status is DocStatus.CURRENT:
        return f"No: the version you ask about was replaced. {status_note(doc, successor)}"
    if doc.status is DocStatus.SUPERSEDED:
        when = f" on {_date(doc.superseded_on)}" if doc.superseded_on else ""
        by = f" by {successor.title} ({successor.publisher})" if successor else ""
        return f"No: {name} is no longer in force. It was replaced{by}{when}; follow the guidance in force."
    if doc.status is DocStatus.ADVISORY:
        note = f" {doc.note}" if doc.note else ""
        return f"{name}, from {_date(doc.in_effect)}, is advisory: not a regulator's standard.{note}"
    note = f" {doc.note}" if doc.note else ""
    return f"{name} is in force, in effect since {_date(doc.in_effect)}.{note}"


def first_paragraph(paragraphs: Sequence[Paragraph], doc_id: str) -> Paragraph | None:
    """The document's first paragraph in corpus order."""
    return next((p for p in paragraphs if p.doc_id == doc_id), None)


def status_answer(
    question: str, corpus: Corpus, ranked_docs: Sequence[str] = (), truncated: bool = False
) -> Answer | None:
    """The answer to a status question naming a document of ``corpus``, or ``None`` (not
    a status question, or no document named: the question is answered as usual). Cites
    the guidance in force first (the successor of a replaced document), then the named one."""
    if not is_status_question(question):
        return None
    doc = named_document(question, list(corpus.documents.values()), ranked_docs)
    if doc is None:
        return None
    successor = corpus.documents.get(doc.superseded_by or "")
    cited: list[Citation] = []
    for d in (successor, doc):
        para = first_paragraph(corpus.paragraphs, d.doc_id) if d is not None else None
        if d is not None and para is not None:
            cited.append(Citation(para, d, 1.0))
    if not cited:
        return None
    return Answer(question, AnswerStatus.ANSWERED, tuple(cited), truncated, note=status_note(doc, successor, question))
