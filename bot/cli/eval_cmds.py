"""``gmcbot eval questions`` and ``gmcbot eval messages``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.cli.common import make_bot

# bot.retrieval.Method's values, spelled out so that `gmcbot --help` imports no numpy
# (tests/unit/test_cli.py checks they match).
METHODS = ("dense", "bm25", "hybrid")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ev = sub.add_parser("eval", help="measure answering or screening on an evaluation file")
    esub = ev.add_subparsers(dest="eval_command", metavar="SET", required=True)
    q = esub.add_parser("questions", help="hit@1, hit@3, MRR and decline figures on a questions file",
                        description="Run a questions file (corpus-spec format) and print n, hit@1, "
                        "hit@3, mrr, decline_accuracy and false_decline_rate.")
    q.add_argument("file", type=Path)
    q.add_argument("--json", action="store_true", help="print exactly those keys as one JSON object")
    q.add_argument("--method", choices=METHODS, default="hybrid",
                   help="ranking method (default: hybrid, the shipped one)")
    q.set_defaults(func=cmd_questions)
    m = esub.add_parser("messages", help="recall, false alarms and citation figures on a messages file",
                        description="Screen a messages file (corpus-spec format) and print n, recall, "
                        "false_alarm_rate, precision, category_accuracy and citation_accuracy.")
    m.add_argument("file", type=Path)
    m.add_argument("--json", action="store_true", help="print exactly those keys as one JSON object")
    m.set_defaults(func=cmd_messages)


def _print(scores: dict[str, float | int], as_json: bool) -> None:
    if as_json:
        print(json.dumps(scores))
    else:
        for key, value in scores.items():
            print(f"{key:>20}  {value}")


def cmd_questions(args: argparse.Namespace) -> int:
    from bot.evaluation import read_jsonl, score_questions
    from bot.retrieval import Method

    rows = read_jsonl(args.file, ("question", "relevant"))
    bot = make_bot(args)
    answers = bot.ask_many([r["question"] for r in rows], top=3, method=Method(args.method))
    _print(score_questions(rows, answers).to_json(), args.json)
    return 0


def cmd_messages(args: argparse.Namespace) -> int:
    from bot.evaluation import read_jsonl, score_messages

    rows = read_jsonl(args.file, ("text", "risky"))
    bot = make_bot(args)
    results = bot.screen_many([r["text"] for r in rows])
    _print(score_messages(rows, results).to_json(), args.json)
    return 0
