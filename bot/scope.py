"""Questions the corpus does not answer, and where to send their askers.

``guidance_corpus/questions/out_of_scope.jsonl`` holds questions staff ask that nothing in
the corpus answers, each with a topic (how it was written: the README beside it).
Retrieval compares a question with them (:class:`bot.retrieval.Ranking` ``outside``)
and answering declines when they are clearly nearer than the questions the corpus
answers. :func:`route_for` turns the nearest topic into a suggestion of whom to ask,
from :data:`DEFAULT_ROUTES` or a trust's own ``decline_routes`` setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.errors import CorpusError
from bot.json_lines import json_objects
from guidance_corpus import QUESTIONS_DIR

OUT_OF_SCOPE_FILE = QUESTIONS_DIR / "out_of_scope.jsonl"

# Topic words (matched inside the nearest out-of-scope question's topic) -> route key.
_TOPIC_ROUTES = (
    ("rota", "rota"),
    ("leave", "rota"),
    ("parking", "estates"),
    ("estates", "estates"),
    ("IT", "it"),
    ("equipment", "it"),
    ("clinical", "clinical"),
    ("dosing", "clinical"),
    ("medicines", "clinical"),
    ("prescrib", "clinical"),
    ("infection", "clinical"),
    ("end of life", "clinical"),
    ("escalation", "clinical"),
    ("consent", "clinical"),
    ("pay", "hr"),
    ("pension", "hr"),
    ("HR", "hr"),
    ("expenses", "hr"),
    ("tax", "hr"),
    ("employment", "hr"),
    ("union", "hr"),
    ("recruit", "hr"),
    ("benefits", "hr"),
    ("occupational health", "hr"),
    ("industrial", "hr"),
    ("immigration", "hr"),
    ("records", "ig"),
    ("data protection", "ig"),
    ("FOI", "ig"),
    ("recordings law", "ig"),
    ("registration", "regulator"),
    ("revalidation", "regulator"),
    ("fitness to practise", "regulator"),
    ("regulator", "regulator"),
    ("return to practice", "regulator"),
    ("indemnity", "regulator"),
    ("training", "education"),
    ("exams", "education"),
    ("research", "education"),
)

DEFAULT_ROUTES: dict[str, str] = {
    "rota": "your rota coordinator or line manager",
    "estates": "your trust's estates or facilities team",
    "it": "your IT service desk",
    "clinical": "your local clinical guidelines, a senior colleague or pharmacy",
    "hr": "your HR or payroll team (or your union)",
    "ig": "your information governance team",
    "regulator": "your regulator's own website or helpline",
    "education": "your education or training lead",
    "other": "your line manager or the relevant team in your trust",
}


@dataclass(frozen=True)
class OutOfScope:
    questions: tuple[str, ...]
    topics: tuple[str, ...]


def load_out_of_scope(path: Path = OUT_OF_SCOPE_FILE) -> OutOfScope:
    """The out-of-scope questions (none when the file is absent); a bad line raises
    :class:`CorpusError` naming the file and line."""
    if not path.is_file():
        return OutOfScope((), ())
    questions: list[str] = []
    topics: list[str] = []
    problems: list[str] = []
    for where, row in json_objects(path):
        if row is None or "question" not in row:
            problems.append(f"{where}: not an out-of-scope line (JSON with 'question' and 'topic')")
            continue
        question, topic = row["question"], row.get("topic", "")
        if not isinstance(question, str) or not question.strip() or not isinstance(topic, str):
            problems.append(f"{where}: 'question' must be non-empty text and 'topic' text")
            continue
        questions.append(question.strip())
        topics.append(topic.strip())
    if problems:
        raise CorpusError(problems)
    return OutOfScope(tuple(questions), tuple(topics))


def route_key(topic: str) -> str:
    """The route for an out-of-scope topic (``other`` when no word matches)."""
    for word, key in _TOPIC_ROUTES:
        if word.isupper() and word in topic.split():
            return key
        if not word.isupper() and word.lower() in topic.lower():
            return key
    return "other"


def route_for(topic: str, routes: Mapping[str, str] | None = None) -> str:
    """Whom to ask about a question on ``topic``: the trust's route for its key, else
    the default."""
    key = route_key(topic)
    table = {**DEFAULT_ROUTES, **(routes or {})}
    return table.get(key, table["other"])
