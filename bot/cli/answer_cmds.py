"""``gmcbot ask`` and ``gmcbot console``."""

from __future__ import annotations

import argparse
import json
import sys

from bot.cli.common import make_bot
from bot.render import render_answer

SAMPLE_QUESTION = "can I reply to a patient on Twitter?"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ask = sub.add_parser("ask", help="answer one question with the cited paragraph",
                         description="Answer a question from the guidance corpus with the cited paragraph.")
    ask.add_argument("question", nargs="*", help="the question (quote it or not)")
    ask.add_argument("--top", type=int, default=3, metavar="N", help="how many citations (default 3)")
    ask.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ask.set_defaults(func=cmd_ask, parser=ask)

    con = sub.add_parser("console", help="interactive session: type questions, get cited answers",
                         description="An interactive session. The sample question is answered first; "
                         "type a question per line, or 'quit'.")
    con.add_argument("--no-sample", action="store_true", help="skip answering the sample question first")
    con.set_defaults(func=cmd_console)


def cmd_ask(args: argparse.Namespace) -> int:
    question = " ".join(args.question).strip()
    if not question:
        args.parser.print_usage(sys.stderr)
        print("gmcbot ask: give a question, e.g. gmcbot ask \"can I reply to a patient on Twitter?\"", file=sys.stderr)
        return 2
    if args.top < 1 or args.top > 20:
        print("gmcbot ask: --top must be between 1 and 20", file=sys.stderr)
        return 2
    bot = make_bot(args)
    answer = bot.ask(question, top=args.top)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        print(render_answer(answer, bot.settings.ask_who))
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    from adapters.console import ConsoleAdapter

    bot = make_bot(args)
    adapter = ConsoleAdapter(stdin=sys.stdin, stdout=sys.stdout,
                             sample=None if args.no_sample else SAMPLE_QUESTION)
    adapter.run(bot)
    return 0
