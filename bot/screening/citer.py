"""Which paragraphs a flag cites first: a vote of labelled example messages.

People who read the guidance labelled risky example messages with the paragraphs each goes
against, best first (``guidance_corpus/screening/citations/``, none from an evaluation set).
For a flagged message, the ``k`` examples of its category nearest to it (cosine of the
screening encoder's vectors) vote for their paragraphs: an example's vote is its similarity
(not below zero) times ``decay ** position`` in its list, so first places count most.
:meth:`CitationVote.ranked` returns the paragraphs by vote, best first. The rules and
exemplars still give the flag's reasons and its further citations (:mod:`.policy`).

The examples are embedded once, cached per embedder like the exemplars (:func:`index.cache.embed_examples`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.json_lines import json_objects
from bot.screening.data import ScreeningDataError
from bot.types import Category
from guidance_corpus import SCREENING_DIR
from index.cache import embed_examples
from index.embedders import Embedder

CITATIONS_DIR = SCREENING_DIR / "citations"
# Chosen before any fresh set was measured, by leaving one tuned message set out at a time.
NEIGHBOURS = 10
POSITION_DECAY = 0.8
MAX_RELEVANT = 4


@dataclass(frozen=True)
class CitedExample:
    """A risky example message, its category and the paragraphs it goes against, best first."""

    text: str
    category: Category
    relevant: tuple[str, ...]


def read_cited_examples(folder: Path = CITATIONS_DIR) -> list[CitedExample]:
    """Every ``*.jsonl`` line in ``folder`` (``{"text", "category", "relevant"}``); bad lines
    raise :class:`ScreeningDataError` naming each file and line. No folder: no examples."""
    out: list[CitedExample] = []
    problems: list[str] = []
    categories = {c.value: c for c in Category}
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        for where, row in json_objects(path):
            row = row or {}
            text, category, relevant = row.get("text"), categories.get(str(row.get("category"))), row.get("relevant")
            if (
                not isinstance(text, str)
                or not text.strip()
                or category is None
                or not isinstance(relevant, list)
                or not all(isinstance(p, str) for p in relevant)
            ):
                problems.append(f"{where}: not a cited example (JSON with 'text', 'category' and a list 'relevant')")
            elif not 1 <= len(relevant) <= MAX_RELEVANT:
                problems.append(f"{where}: needs 1 to {MAX_RELEVANT} paragraph ids")
            else:
                out.append(CitedExample(text, category, tuple(relevant)))
    if problems:
        raise ScreeningDataError(problems)
    return out


class CitationVote:
    """Paragraphs for a flagged message, by the votes of its nearest labelled examples."""

    def __init__(
        self,
        examples: Sequence[CitedExample],
        embedder: Embedder | None = None,
        cache_dir: Path | None = None,
        matrix: np.ndarray | None = None,
        known: Iterable[str] | None = None,
        k: int = NEIGHBOURS,
        decay: float = POSITION_DECAY,
    ) -> None:
        """``matrix`` (one unit row per example) or ``embedder`` gives the examples' vectors.
        Paragraph ids outside ``known`` (when given: the corpus's ids) are never voted for."""
        allowed = set(known) if known is not None else None
        examples = tuple(examples)
        if matrix is None:
            if embedder is None:
                raise ValueError("CitationVote needs an embedder or a matrix")
            matrix = embed_examples(embedder, [e.text for e in examples], cache_dir) if examples else None
        if matrix is not None and len(matrix) != len(examples):
            raise ValueError(f"{len(matrix)} vectors for {len(examples)} cited examples")
        self.k = k
        self.decay = decay
        rows: dict[Category, list[int]] = defaultdict(list)
        for i, e in enumerate(examples):
            rows[e.category].append(i)
        self._rows = {c: np.array(r) for c, r in rows.items()}
        self._matrix = matrix
        self._relevant = [tuple(p for p in e.relevant if allowed is None or p in allowed) for e in examples]

    def ranked(self, vector: np.ndarray, category: Category) -> list[str]:
        """Paragraph ids by vote for a message (``vector``: its unit vector) flagged in
        ``category``, best first (ties keep the order first met); [] without examples of it."""
        rows = self._rows.get(category)
        if rows is None or self._matrix is None or not vector.any():
            return []
        sims = self._matrix[rows] @ vector
        nearest = np.argsort(-sims, kind="stable")[: self.k]
        votes: dict[str, float] = {}
        for j in nearest:
            weight = max(float(sims[j]), 0.0)
            for position, pid in enumerate(self._relevant[int(rows[j])]):
                votes[pid] = votes.get(pid, 0.0) + weight * self.decay**position
        return [pid for pid, v in sorted(votes.items(), key=lambda kv: -kv[1]) if v > 0]
