"""Evaluation over the corpus-spec JSON Lines formats (questions and messages)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import GmcbotError
from bot.json_lines import json_objects
from bot.types import Answer, AnswerStatus, Screening


class EvalFileError(GmcbotError):
    """An evaluation file is missing or malformed (names the file and line)."""


def read_jsonl(path: Path, required: Sequence[str]) -> list[dict[str, Any]]:
    """Read a JSON Lines file; every object must have the ``required`` keys."""
    if not path.is_file():
        raise EvalFileError(f"{path}: no such file")
    rows: list[dict[str, Any]] = []
    for where, row in json_objects(path):
        if row is None:
            raise EvalFileError(f"{where}: not a JSON object")
        missing = [k for k in required if k not in row]
        if missing:
            raise EvalFileError(f"{where}: missing key(s) {', '.join(missing)}")
        rows.append(row)
    if not rows:
        raise EvalFileError(f"{path}: no evaluation lines")
    return rows


def is_relevant(pid: str, relevant: Iterable[str]) -> bool:
    """``DOC:*`` in ``relevant`` matches any paragraph of DOC."""
    for r in relevant:
        if r == pid or (r.endswith(":*") and pid.split(":", 1)[0] == r[:-2]):
            return True
    return False


@dataclass(frozen=True)
class QuestionScores:
    n: int
    hit_at_1: float
    hit_at_3: float
    mrr: float
    decline_accuracy: float
    false_decline_rate: float

    def to_json(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "hit@1": round(self.hit_at_1, 4),
            "hit@3": round(self.hit_at_3, 4),
            "mrr": round(self.mrr, 4),
            "decline_accuracy": round(self.decline_accuracy, 4),
            "false_decline_rate": round(self.false_decline_rate, 4),
        }


def question_lines(rows: Sequence[dict[str, Any]], answers: Sequence[Answer]) -> list[dict[str, Any]]:
    """One record per question: ``id``, ``status``, ``cited`` (paragraph ids in order) and
    ``hit`` (the first citation is relevant, or an out-of-corpus question was declined)."""
    out: list[dict[str, Any]] = []
    for n, (row, answer) in enumerate(zip(rows, answers, strict=False), 1):
        cited = [c.id for c in answer.citations]
        declined = answer.status is AnswerStatus.NO_MATCH
        relevant = row["relevant"]
        hit = declined if not relevant else (not declined and bool(cited) and is_relevant(cited[0], relevant))
        out.append(
            {
                "id": row.get("id", str(n)),
                "status": answer.status.value,
                "cited": cited,
                "hit": hit,
                "relevant": list(relevant),
            }
        )
    return out


def message_lines(rows: Sequence[dict[str, Any]], results: Sequence[Screening]) -> list[dict[str, Any]]:
    """One record per message: ``id``, ``flagged``, ``category``, ``cited`` and ``hit``
    (a risky line flagged in its category with a relevant first citation, or an ordinary
    line left alone). Holds no message text."""
    out: list[dict[str, Any]] = []
    for n, (row, result) in enumerate(zip(rows, results, strict=False), 1):
        flag = result.flag
        cited = [c.id for c in flag.citations] if flag else []
        if row["risky"]:
            hit = (
                flag is not None
                and flag.category.value == row.get("category")
                and bool(cited)
                and is_relevant(cited[0], row.get("relevant", []))
            )
        else:
            hit = flag is None
        out.append(
            {
                "id": row.get("id", str(n)),
                "flagged": flag is not None,
                "category": flag.category.value if flag else None,
                "cited": cited,
                "hit": hit,
                "expected": row.get("category") if row["risky"] else None,
            }
        )
    return out


def score_questions(rows: Sequence[dict[str, Any]], answers: Sequence[Answer]) -> QuestionScores:
    """hit@1, hit@3 and MRR over answerable questions (a decline is a miss);
    decline accuracy over out-of-corpus ones; false declines over answerable ones."""
    hit1 = hit3 = rr = 0.0
    answerable = declined_ok = outside = false_declines = 0
    for row, answer in zip(rows, answers, strict=False):
        relevant = row["relevant"]
        declined = answer.status is AnswerStatus.NO_MATCH
        if not relevant:
            outside += 1
            declined_ok += declined
            continue
        answerable += 1
        if declined:
            false_declines += 1
            continue
        ids = [c.id for c in answer.citations]
        ranks = [i for i, pid in enumerate(ids, 1) if is_relevant(pid, relevant)]
        if ranks:
            hit1 += ranks[0] == 1
            hit3 += ranks[0] <= 3
            rr += 1.0 / ranks[0]
    a = max(answerable, 1)
    return QuestionScores(
        len(rows), hit1 / a, hit3 / a, rr / a, declined_ok / outside if outside else 1.0, false_declines / a
    )


@dataclass(frozen=True)
class MessageScores:
    n: int
    recall: float
    false_alarm_rate: float
    precision: float
    category_accuracy: float
    citation_accuracy: float

    def to_json(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "recall": round(self.recall, 4),
            "false_alarm_rate": round(self.false_alarm_rate, 4),
            "precision": round(self.precision, 4),
            "category_accuracy": round(self.category_accuracy, 4),
            "citation_accuracy": round(self.citation_accuracy, 4),
        }


def score_messages(rows: Sequence[dict[str, Any]], results: Sequence[Screening]) -> MessageScores:
    """Recall on risky lines, false alarms on ordinary ones, precision, and the share of
    flagged risky lines with the right primary category / a relevant first citation."""
    risky = ordinary = tp = fp = cat_ok = cite_ok = 0
    for row, result in zip(rows, results, strict=False):
        flag = result.flag
        if row["risky"]:
            risky += 1
            if flag is not None:
                tp += 1
                cat_ok += flag.category.value == row.get("category")
                cite_ok += bool(flag.citations) and is_relevant(flag.citations[0].id, row.get("relevant", []))
        else:
            ordinary += 1
            fp += flag is not None
    return MessageScores(
        len(rows),
        tp / risky if risky else 1.0,
        fp / ordinary if ordinary else 0.0,
        tp / (tp + fp) if tp + fp else 1.0,
        cat_ok / tp if tp else 0.0,
        cite_ok / tp if tp else 0.0,
    )
