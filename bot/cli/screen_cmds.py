"""``gmcbot check``: screen one message and print the verdict."""

from __future__ import annotations

import argparse
import json
import sys

from bot.cli.common import make_bot
from bot.render import render_screening

# The keys of ``gmcbot check --json``, in order (issue 3).
JSON_KEYS = ("flagged", "category", "categories", "severity", "reasons", "citations", "redacted", "findings")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = sub.add_parser(
        "check", help="screen one staff message for the risks the guidance names",
        description="Screen a message for patient identifiers, jigsaw identification and conduct risks. "
        "Prints the verdict with the reasons, the cited paragraph and the redacted text; it never "
        "repeats an identifier it found. Use - to read the message from standard input.")
    check.add_argument("text", nargs="*", help="the message (quote it), or - for standard input")
    check.add_argument("--json", action="store_true",
                       help="print one JSON object: flagged, category, categories, severity, reasons, "
                       "citations, redacted, findings")
    check.add_argument("--image", action="store_true", help="treat the message as carrying an image")
    check.set_defaults(func=cmd_check, parser=check)


def _read_text(args: argparse.Namespace) -> str | None:
    if args.text == ["-"]:
        return sys.stdin.read()
    text = " ".join(args.text)
    return text if text.strip() else None


def cmd_check(args: argparse.Namespace) -> int:
    text = _read_text(args)
    if text is None:
        args.parser.print_usage(sys.stderr)
        print('gmcbot check: give a message, e.g. gmcbot check "Bed 12 is free"', file=sys.stderr)
        return 2
    from bot.types import Message

    bot = make_bot(args, progress=False)
    result = bot.screen(Message(text=text, has_image=args.image))
    if args.json:
        data = result.to_json()
        print(json.dumps({key: data[key] for key in JSON_KEYS}, ensure_ascii=False))
    else:
        print(render_screening(result))
    return 0
