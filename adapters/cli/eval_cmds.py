"""``gmcbot eval questions`` and ``gmcbot eval messages``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from adapters.cli.common import make_bot
from bot import Known, message_lines, profession_from, question_lines, read_jsonl, score_messages, score_questions

# bot.retrieval.Method's values, spelled out so that `gmcbot --help` imports no numpy
# (tests/unit/test_cli.py checks they match).
METHODS = ("dense", "bm25", "hybrid")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ev = sub.add_parser("eval", help="measure answering or screening on an evaluation file")
    esub = ev.add_subparsers(dest="eval_command", metavar="SET", required=True)
    q = esub.add_parser(
        "questions",
        help="hit@1, hit@3, MRR and decline figures on a questions file",
        description="Run a questions file (corpus-spec format) and print n, hit@1, "
        "hit@3, mrr, decline_accuracy and false_decline_rate.",
    )
    q.add_argument("file", type=Path)
    q.add_argument(
        "--json",
        action="store_true",
        help="print those keys as one JSON object, with a 'lines' list (id, status, cited, hit)",
    )
    q.add_argument("--misses", action="store_true", help="also print every line that missed, readably")
    q.add_argument(
        "--method", choices=METHODS, default="hybrid", help="ranking method (default: hybrid, the shipped one)"
    )
    q.add_argument(
        "--use-roles",
        action="store_true",
        help="take each line's 'role' (e.g. \"staff nurse\") as the asker's saved profession, read as "
        "'/gmc profession ROLE' would be; lines without a role, or whose role names no profession, have none",
    )
    q.set_defaults(func=cmd_questions)
    m = esub.add_parser(
        "messages",
        help="recall, false alarms and citation figures on a messages file",
        description="Screen a messages file (corpus-spec format) and print n, recall, "
        "false_alarm_rate, precision, category_accuracy and citation_accuracy.",
    )
    m.add_argument("file", type=Path)
    m.add_argument(
        "--json",
        action="store_true",
        help="print those keys as one JSON object, with a 'lines' list (id, flagged, category, cited, hit)",
    )
    m.add_argument("--misses", action="store_true", help="also print every line that missed, readably")
    m.set_defaults(func=cmd_messages)


def _print(
    scores: dict[str, float | int],
    lines: list[dict[str, Any]],
    args: argparse.Namespace,
    text_key: str,
    rows: list[dict[str, Any]],
) -> None:
    if args.json:
        print(json.dumps({**scores, "lines": lines}, ensure_ascii=False))
    else:
        for key, value in scores.items():
            print(f"{key:>20}  {value}")
    if args.misses:
        misses = [(line, row) for line, row in zip(lines, rows, strict=True) if not line["hit"]]
        print(f"\n{len(misses)} miss(es):", file=sys.stderr if args.json else sys.stdout)
        for line, row in misses:
            got = line.get("status") or (line["category"] if line["flagged"] else "not flagged")
            want = ", ".join(row.get("relevant") or []) or "decline"
            if "expected" in line:
                want = f"{line['expected'] or 'not flagged'} ({want})"
            print(
                f"- {line['id']}: {row[text_key][:160]}\n    got {got} {' '.join(line['cited'][:3])}\n    want {want}",
                file=sys.stderr if args.json else sys.stdout,
            )


def cmd_questions(args: argparse.Namespace) -> int:
    from bot import Method

    rows = read_jsonl(args.file, ("question", "relevant"))
    known = roles_known(rows) if args.use_roles else None
    bot = make_bot(args)
    answers = bot.ask_many([r["question"] for r in rows], top=3, method=Method(args.method), known=known)
    scores: dict[str, float | int] = score_questions(rows, answers).to_json()
    if known is not None:
        scores["with_profession"] = sum(1 for k in known if k.profession)
    _print(scores, question_lines(rows, answers), args, "question", rows)
    return 0


def roles_known(rows: list[dict[str, Any]]) -> list[Known]:
    """Each line's ``role`` read as a saved profession (``bot.profession_from``)."""
    return [Known(profession=profession_from(str(r.get("role") or ""))) for r in rows]


def cmd_messages(args: argparse.Namespace) -> int:

    rows = read_jsonl(args.file, ("text", "risky"))
    bot = make_bot(args)
    results = bot.screen_many([r["text"] for r in rows])
    _print(score_messages(rows, results).to_json(), message_lines(rows, results), args, "text", rows)
    return 0
