"""``gmcbot index build``."""

from __future__ import annotations

import argparse
import time

from adapters.cli.common import make_bot


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    idx = sub.add_parser("index", help="build or inspect the search index")
    isub = idx.add_subparsers(dest="index_command", metavar="ACTION", required=True)
    build = isub.add_parser(
        "build",
        help="embed the corpus and write the index folder now",
        description="Embed every paragraph and write the FAISS index with its "
        "manifest; also make the ONNX model screening runs on and cache the screening "
        "exemplars' vectors, so later commands start quickly. `make install` and `make run` "
        "run this; otherwise it happens on first use.",
    )
    build.add_argument("--force", action="store_true", help="rebuild even if the saved index matches")
    build.set_defaults(func=cmd_build)


def cmd_build(args: argparse.Namespace) -> int:
    bot = make_bot(args)
    start = time.perf_counter()
    bot.prepare(force=args.force)
    retriever = bot.retriever
    took = time.perf_counter() - start
    state = "rebuilt" if retriever.loaded.rebuilt else "already up to date"
    print(
        f"Index {state}: {len(retriever.paragraphs)} paragraphs, {len(retriever.loaded.ids)} vectors, embedder "
        f"{bot.embedder.embedder_id}, in {bot.settings.index_dir} ({took:.1f} s)"
    )
    if bot.screen_embedder is not bot.embedder:
        print(f"Screening model ready: {bot.screen_embedder.embedder_id}, in {bot.settings.model_dir}")
    return 0
