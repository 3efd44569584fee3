"""Options every command shares, and building the bot from them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot import Settings, load_settings

if TYPE_CHECKING:
    from bot import GuidanceBot, SqlRecords


def add_global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="settings file (default: $GMCBOT_CONFIG or ./gmcbot.toml if present)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="where the index, database and key live (default: $XDG_DATA_HOME/gmcbot)",
    )
    parser.add_argument(
        "--embedder",
        choices=("minilm", "hashing"),
        help="embedding model: minilm (default) or hashing (fast, for tests only)",
    )
    parser.add_argument(
        "--embed-backend",
        choices=("auto", "onnx", "torch"),
        help="how MiniLM runs: auto (default: ONNX Runtime, float32 for answering and int8 "
        "for screening), onnx (int8 for both) or torch (PyTorch, the reference, for both)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress at DEBUG level")
    parser.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")


def settings_from(args: argparse.Namespace) -> Settings:
    return load_settings(
        args.config, data_dir=args.data_dir, embedder=args.embedder, embed_backend=getattr(args, "embed_backend", None)
    )


def records_from(args: argparse.Namespace) -> SqlRecords:
    """The durable audit store for governance commands (``audit``, ``settings``).
    Raises StoreUnavailable, naming the URL without its password, if it cannot open."""
    from bot import open_records

    return open_records(settings_from(args))


def notify_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def make_bot(args: argparse.Namespace, progress: bool = True) -> GuidanceBot:
    """The bot for a CLI command: progress bars and rebuild notices go to stderr."""
    from bot import GuidanceBot

    settings = settings_from(args)
    show = progress and sys.stderr.isatty() and not args.quiet
    return GuidanceBot(settings, progress=show, notify=None if args.quiet else notify_stderr)
