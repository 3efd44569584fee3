"""``gmcbot check``: screen one message and print the verdict."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from adapters.cli.common import make_bot
from bot import render_screening

if TYPE_CHECKING:
    from bot import Screening

# The keys of ``gmcbot check --json``, in order (issue 3).
JSON_KEYS = ("flagged", "category", "categories", "severity", "reasons", "citations", "redacted", "findings")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = sub.add_parser(
        "check",
        help="screen one staff message for the risks the guidance names",
        description="Screen a message for patient identifiers, jigsaw identification and conduct risks. "
        "Prints the verdict with the reasons, the cited paragraph and the redacted text; it never "
        "repeats an identifier it found. Use - to read the message from standard input.",
    )
    check.add_argument("text", nargs="*", help="the message (quote it), or - for standard input")
    check.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object: flagged, category, categories, severity, reasons, citations, redacted, findings",
    )
    check.add_argument("--image", action="store_true", help="treat the message as carrying an image")
    check.add_argument(
        "--jsonl",
        metavar="FILE",
        help="screen every line of FILE (JSON Lines objects with a 'text' field, e.g. an "
        "evaluation set; - for standard input) in one process and print one result per "
        "line, in order (with --json: one JSON object per line)",
    )
    check.add_argument(
        "--image-file",
        metavar="PATH",
        help="read the text in this image (offline OCR, in memory) and screen it with the message",
    )
    check.set_defaults(func=cmd_check, parser=check)


def _read_text(args: argparse.Namespace) -> str | None:
    if args.text == ["-"]:
        return sys.stdin.read()
    text = " ".join(args.text)
    return text if text.strip() else None


BATCH = 64


def _jsonl_texts(path: str) -> list[tuple[str | None, bool]]:
    """``(text, has_image)`` per line; text None for a line that is not an object with a
    string ``text`` (reported in place, so results stay in line order)."""
    raw = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    rows: list[tuple[str | None, bool]] = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            rows.append((None, False))
            continue
        text = data.get("text") if isinstance(data, dict) else None
        image = bool(data.get("has_image") or data.get("image")) if isinstance(data, dict) else False
        rows.append((text if isinstance(text, str) else None, image))
    return rows


def cmd_check_jsonl(args: argparse.Namespace) -> int:
    from bot import Message

    try:
        rows = _jsonl_texts(args.jsonl)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"gmcbot check: cannot read {args.jsonl}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 2
    bot = make_bot(args, progress=False)
    bad = 0
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        messages = [Message(text=t, has_image=image or args.image) for t, image in chunk if t is not None]
        results = iter(bot.screen_many(messages))
        for n, (text, _) in enumerate(chunk, start + 1):
            if text is None:
                bad += 1
                line = {"line": n, "error": "not a JSON object with a string 'text'"}
                print(json.dumps(line) if args.json else f"line {n}: not a JSON object with a string 'text'")
                continue
            result = next(results)
            if args.json:
                data = result.to_json()
                print(json.dumps({key: data[key] for key in JSON_KEYS}, ensure_ascii=False))
            else:
                print(f"line {n}: " + render_screening(result).replace("\n", "\n  "))
        sys.stdout.flush()
    return 1 if bad else 0


def cmd_check(args: argparse.Namespace) -> int:
    if args.jsonl:
        return cmd_check_jsonl(args)
    text = _read_text(args)
    if getattr(args, "image_file", None):  # issue 19: an image's text, screened like a message
        from adapters.cli.image_check import image_message

        image = image_message(args, text)
        if image is None:
            return 2
        return _print(args, make_bot(args, progress=False).screen(image))
    if text is None:
        args.parser.print_usage(sys.stderr)
        print('gmcbot check: give a message, e.g. gmcbot check "Bed 12 is free"', file=sys.stderr)
        return 2
    from bot import Message

    bot = make_bot(args, progress=False)
    return _print(args, bot.screen(Message(text=text, has_image=args.image)))


def _print(args: argparse.Namespace, result: Screening) -> int:
    if args.json:
        data = result.to_json()
        print(json.dumps({key: data[key] for key in JSON_KEYS}, ensure_ascii=False))
    else:
        print(render_screening(result))
    return 0
