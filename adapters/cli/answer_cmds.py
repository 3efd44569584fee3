"""``gmcbot ask`` and ``gmcbot console``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from adapters.cli.common import make_bot
from bot import render_answer

SAMPLE_QUESTION = "can I reply to a patient on Twitter?"
CONSOLE_MARKER = "console-started"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ask = sub.add_parser(
        "ask",
        help="answer one question with the cited paragraph",
        description="Answer a question from the guidance corpus with the cited paragraph.",
    )
    ask.add_argument("question", nargs="*", help="the question (quote it or not)")
    ask.add_argument("--top", type=int, default=3, metavar="N", help="how many citations (default 3)")
    ask.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ask.add_argument(
        "--as",
        dest="profession",
        metavar="PROFESSION",
        help="answer as for someone who saved this profession (nurse, midwife, HCA, physio, paramedic, "
        "FY1, PA, student nurse, doctor, ahp ...): their regulator's guidance first, unless the question "
        "names a profession",
    )
    ask.set_defaults(func=cmd_ask, parser=ask)

    con = sub.add_parser(
        "console",
        help="interactive session: type questions, get cited answers",
        description="An interactive session. On the very first start the sample question "
        "is answered first; type a question per line, 'check MESSAGE', 'profession WORDS', 'help', or 'quit'.",
    )
    con.add_argument("--no-sample", action="store_true", help="never answer the sample question first")
    con.add_argument(
        "--sample", action="store_true", help="answer the sample question first, even after the first start"
    )
    con.set_defaults(func=cmd_console)


def cmd_ask(args: argparse.Namespace) -> int:
    question = " ".join(args.question).strip()
    if not question:
        args.parser.print_usage(sys.stderr)
        print('gmcbot ask: give a question, e.g. gmcbot ask "can I reply to a patient on Twitter?"', file=sys.stderr)
        return 2
    if args.top < 1 or args.top > 20:
        print("gmcbot ask: --top must be between 1 and 20", file=sys.stderr)
        return 2
    from bot import Known, profession_from, wording

    known = Known()
    if args.profession is not None:
        known = Known(profession=profession_from(args.profession))
        if known.profession is None:
            print("gmcbot ask: " + wording.profession_not_understood("--as", clearable=False), file=sys.stderr)
            return 2
    bot = make_bot(args)
    answer = bot.ask(question, top=args.top, known=known)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        print(render_answer(answer, bot.settings.ask_who))
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    from adapters.console import ConsoleAdapter

    bot = make_bot(args)
    adapter = ConsoleAdapter(
        stdin=sys.stdin, stdout=sys.stdout, sample=SAMPLE_QUESTION if first_start(bot.settings.data_dir, args) else None
    )
    adapter.run(bot)
    return 0


def first_start(data_dir: Path, args: argparse.Namespace) -> bool:
    """Whether to answer the sample question: on the console's very first start in this
    data folder (remembered by a marker file), or when asked with ``--sample``."""
    if args.no_sample:
        return False
    marker = data_dir / CONSOLE_MARKER
    if marker.exists() and not args.sample:
        return False
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        marker.write_text(
            "The gmcbot console has started here before: it answers the sample question only "
            "on its first start (or with --sample).\n",
            encoding="utf-8",
        )
    except OSError:
        pass  # a read-only data folder: the sample is shown again next time
    return True
