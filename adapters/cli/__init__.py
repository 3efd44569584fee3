"""The ``gmcbot`` command. Each command group lives in its own module with a
``register(subparsers)`` function; :data:`COMMAND_MODULES` lists them in help order."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from bot import GmcbotError

COMMAND_MODULES = (
    "adapters.cli.answer_cmds",
    "adapters.cli.screen_cmds",
    "adapters.cli.eval_cmds",
    "adapters.cli.corpus_cmds",
    "adapters.cli.index_cmds",
    "adapters.cli.audit_cmds",
    "adapters.cli.settings_cmds",
    "adapters.cli.scan_cmds",
    "adapters.cli.serve_cmds",
    "adapters.cli.teams_cmds",
    "adapters.cli.review_cmds",
)


def build_parser() -> argparse.ArgumentParser:
    from adapters.cli.common import add_global_options

    parser = argparse.ArgumentParser(
        prog="gmcbot",
        description="Answer questions from UK professional guidance on social media and "
        "messaging with the cited paragraph, and screen staff messages for the risks it names.",
        epilog="Run `gmcbot COMMAND --help` for each command. Settings: gmcbot.toml, GMCBOT_* "
        "environment variables, or the options here (see docs/configuration.md).",
    )
    add_global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if args.command is None else 2
    from bot import configure_logging

    configure_logging("DEBUG" if args.verbose else "WARNING" if args.quiet else "INFO", json_lines=False)
    if not args.verbose:
        logging.getLogger("bot").setLevel(logging.WARNING)
        logging.getLogger("index").setLevel(logging.WARNING)
    try:
        return int(args.func(args) or 0)
    except GmcbotError as exc:
        print(f"gmcbot: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def run() -> None:
    sys.exit(main())
