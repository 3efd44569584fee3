"""``gmcbot index build``."""

from __future__ import annotations

import argparse
import time

from bot.cli.common import make_bot


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    idx = sub.add_parser("index", help="build or inspect the search index")
    isub = idx.add_subparsers(dest="index_command", metavar="ACTION", required=True)
    build = isub.add_parser("build", help="embed the corpus and write the index folder now",
                            description="Embed every paragraph and write the FAISS index with its "
                            "manifest. Normally the index builds itself on first use.")
    build.add_argument("--force", action="store_true", help="rebuild even if the saved index matches")
    build.set_defaults(func=cmd_build)


def cmd_build(args: argparse.Namespace) -> int:
    bot = make_bot(args)
    start = time.perf_counter()
    if args.force:
        bot.rebuild_index()
    retriever = bot.retriever
    took = time.perf_counter() - start
    state = "rebuilt" if retriever.loaded.rebuilt else "already up to date"
    print(f"Index {state}: {len(retriever.loaded.ids)} paragraphs, embedder "
          f"{bot.embedder.embedder_id}, in {bot.settings.index_dir} ({took:.1f} s)")
    return 0
