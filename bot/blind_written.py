"""The blind-written questions (``guidance_corpus/questions/blind_written/*.jsonl``):
questions written by people who had not read the corpus, labelled only afterwards (that
folder's README). One place reads them and says how a question is stored among the asks;
``tools/blind_questions.py`` adds them to the search data and ``bot.voice_training``
leaves them out of a document's voice."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from bot.json_lines import json_objects
from guidance_corpus import QUESTIONS_DIR

BLIND_WRITTEN_DIR = QUESTIONS_DIR / "blind_written"


def stored_text(question: str) -> str:
    """The question as stored among the asks: whitespace collapsed, ``|`` (the asks
    separator) made ``/``."""
    return " ".join(question.split()).replace("|", "/")


def read_labelled(path: Path) -> list[dict[str, Any]]:
    """The lines of one labelled file (``{"id", "question", "role", "relevant", "topic"}``);
    a bad line raises ``ValueError`` naming the file and line."""
    rows = []
    for where, row in json_objects(path):
        if row is None or "question" not in row or "relevant" not in row:
            raise ValueError(f"{where}: not a labelled question line (JSON with 'question' and 'relevant')")
        question, relevant = row["question"], row["relevant"]
        if not isinstance(question, str) or not isinstance(relevant, list):
            raise ValueError(f"{where}: 'question' must be text and 'relevant' a list")
        if not relevant and not row.get("topic"):
            raise ValueError(f"{where}: a question nothing answers needs a 'topic'")
        rows.append(row)
    return rows


def labelled_files(folder: Path = BLIND_WRITTEN_DIR) -> list[Path]:
    """The labelled files, in name order."""
    return sorted(folder.glob("*.jsonl"))


def data_digest(files: list[Path] | None = None) -> str:
    """SHA-256 over the labelled files' names and bytes, in name order: what a model
    trained on them records, so a later change to the questions is noticed."""
    digest = hashlib.sha256()
    for path in files if files is not None else labelled_files():
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
