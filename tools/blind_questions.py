"""Add blind-written training questions to the corpus's search data, or check they are there.

``guidance_corpus/questions/blind_written/*.jsonl`` hold questions written by people who had
not read the corpus, labelled by them only afterwards (how, in that folder's README). Each
line is ``{"id", "question", "role", "relevant", "topic"}``. This tool turns them into:

- an ask of the first (best) paragraph in ``relevant`` (``asks.jsonl``, one line per
  paragraph and file), so retrieval indexes the question as a view of that paragraph;
- an out-of-scope question with its ``topic`` when ``relevant`` is empty
  (``out_of_scope.jsonl``), so answering declines what resembles it.

Run from the repository root::

    python tools/blind_questions.py add guidance_corpus/questions/blind_written/tq5.jsonl
    python tools/blind_questions.py check

``add`` appends (run it once per new file); ``check`` exits 1 and names each question of
every file in the folder that is missing from the data (the unit tests call it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

from bot.blind_written import labelled_files, read_labelled, stored_text

QUESTIONS_DIR = Path(__file__).resolve().parents[1] / "guidance_corpus" / "questions"
BLIND_DIR = QUESTIONS_DIR / "blind_written"


def to_data(rows: Iterable[dict]) -> tuple[dict[str, list[str]], list[dict[str, str]]]:
    """``({paragraph id: asks}, [out-of-scope lines])`` for labelled rows."""
    asks: dict[str, list[str]] = {}
    out_of_scope: list[dict[str, str]] = []
    for row in rows:
        question = stored_text(row["question"])
        if row["relevant"]:
            asks.setdefault(row["relevant"][0], []).append(question)
        else:
            out_of_scope.append({"question": question, "topic": row["topic"]})
    return asks, out_of_scope


def add(path: Path, questions_dir: Path = QUESTIONS_DIR) -> tuple[int, int]:
    """Append ``path``'s questions to the data; returns (asks added, out-of-scope added)."""
    asks, out_of_scope = to_data(read_labelled(path))
    with (questions_dir / "asks.jsonl").open("a", encoding="utf-8") as out:
        for pid in sorted(asks):
            out.write(json.dumps({"id": pid, "asks": asks[pid]}, ensure_ascii=False) + "\n")
    with (questions_dir / "out_of_scope.jsonl").open("a", encoding="utf-8") as out:
        for line in out_of_scope:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return sum(map(len, asks.values())), len(out_of_scope)


def missing(questions_dir: Path = QUESTIONS_DIR, blind_dir: Path = BLIND_DIR) -> list[str]:
    """One line per labelled question not found where ``add`` would have put it."""
    stored_asks: dict[str, set[str]] = {}
    for line in (questions_dir / "asks.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            stored_asks.setdefault(row["id"], set()).update(row["asks"])
    stored_out = {
        (row["question"], row["topic"])
        for row in map(json.loads, (questions_dir / "out_of_scope.jsonl").read_text(encoding="utf-8").splitlines())
    }
    problems = []
    for path in labelled_files(blind_dir):
        for row in read_labelled(path):
            question = stored_text(row["question"])
            if row["relevant"] and question not in stored_asks.get(row["relevant"][0], set()):
                problems.append(f"{path.name} {row.get('id')}: not an ask of {row['relevant'][0]}")
            if not row["relevant"] and (question, row["topic"]) not in stored_out:
                problems.append(f"{path.name} {row.get('id')}: not in out_of_scope.jsonl")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    add_cmd = sub.add_parser("add", help="append one labelled file's questions to asks.jsonl and out_of_scope.jsonl")
    add_cmd.add_argument("file", type=Path)
    sub.add_parser("check", help="report labelled questions missing from the data (exit 1 if any)")
    args = parser.parse_args(argv)
    if args.command == "add":
        n_asks, n_out = add(args.file)
        print(f"added {n_asks} asks and {n_out} out-of-scope questions from {args.file}")
        return 0
    problems = missing()
    for problem in problems:
        print(problem)
    print(f"{len(problems)} missing" if problems else "every blind-written question is in the data")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
