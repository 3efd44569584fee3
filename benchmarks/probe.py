"""A fresh process that starts the bot the way a server does and reports on itself.

``python -m benchmarks.probe --data-dir DIR --t0 EPOCH_SECONDS`` imports the core,
builds a :class:`GuidanceBot` on ``DIR`` (whose index the parent built already), answers
one question, then serves a little (more questions, a batch of messages to screen) and
prints one JSON object: the wall-clock seconds from ``--t0`` (taken by the parent just
before it started this process) to imports done and to the first answer, and the peak
resident set size (``ru_maxrss``) after the first answer and after serving, and the
resident set size at the end (what the serving process holds once loading is over).
"""

from __future__ import annotations

import argparse
import time

T_START = time.time()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.probe")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--t0", type=float, required=True)
    parser.add_argument("--embedder", default="minilm")
    parser.add_argument("--serve-questions", type=int, default=20)
    parser.add_argument("--serve-messages", type=int, default=20)
    args = parser.parse_args()

    import json
    import resource
    from pathlib import Path

    from benchmarks.common import EVAL_DIR, cycle
    from bot.config import Settings
    from bot.evaluation import read_jsonl
    from bot.service import GuidanceBot

    imported = time.time()
    bot = GuidanceBot(Settings(data_dir=Path(args.data_dir), embedder=args.embedder))
    answer = bot.ask("can I reply to a patient on Twitter?")
    first_answer = time.time()
    rss_answer_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    questions = [r["question"] for r in read_jsonl(EVAL_DIR / "questions.jsonl", ("question", "relevant"))]
    for question in cycle(questions, args.serve_questions):
        bot.ask(question)
    screened = 0
    screening_error = ""
    if args.serve_messages:
        texts = [r["text"] for r in read_jsonl(EVAL_DIR / "messages.jsonl", ("text", "risky"))]
        try:
            screened = len(bot.screen_many(cycle(texts, args.serve_messages)))
        except ImportError as exc:  # screening not installed in this tree yet
            screening_error = type(exc).__name__
    rss_serving_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    from benchmarks.common import current_rss

    resident = current_rss()
    print(
        json.dumps(
            {
                "interpreter_s": T_START - args.t0,
                "imports_s": imported - args.t0,
                "first_answer_s": first_answer - args.t0,
                "answer_status": answer.status.value,
                "rss_first_answer_bytes": rss_answer_kib * 1024,
                "rss_serving_bytes": rss_serving_kib * 1024,
                "resident_after_serving_bytes": resident,
                "screened": screened,
                "screening_error": screening_error,
            }
        )
    )


if __name__ == "__main__":
    main()
