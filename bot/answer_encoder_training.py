"""Tune MiniLM for answering: low-rank adapters trained to bring a question to its paragraph.

The packaged MiniLM matches a question with another question far better than with a
passage (docs/retrieval.md). Answering's encoder is therefore tuned contrastively on the asks
written by people who read each paragraph (each document's own ``asks:`` line and the first
two writers' lines of ``guidance_corpus/questions/asks.jsonl``): each ask is pulled towards
its paragraph's passage (the ``base`` view: heading, text and terms) and pushed away from the
other paragraphs' passages in its batch (in-batch negatives, a softmax over cosines at
temperature :data:`SCALE`; a batch holds each paragraph's passage once, so two asks of one
paragraph share their target and neither is the other's negative).

The questions of the twelve writers who wrote *before* reading the corpus
(``guidance_corpus/questions/blind_written/``) are left out on purpose: the learned
reranker and the answerability model are fitted on them with each writer left out, and
their figures would flatter an encoder that had seen them. No evaluation set is read.

The adapters (rank :data:`RANK` on every linear layer of the six blocks, as screening's;
:mod:`bot.screening.encoder_training`) are kept as an :mod:`index.delta` folder,
``guidance_corpus/questions/encoder/``, merged into the weights at load. Training uses a
fixed seed; ``make train-answer-encoder`` rewrites the delta and its checksums.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.corpus import Corpus, load_corpus
from bot.json_lines import json_objects
from bot.retrieval import base_text
from bot.voice_training import blind_written_questions
from guidance_corpus import ANSWER_ENCODER_DIR, QUESTIONS_DIR

ASKS_FILE = QUESTIONS_DIR / "asks.jsonl"
SEED = 20261208
EPOCHS = 2
LEARNING_RATE = 2e-4
BATCH = 32
SCALE = 20.0


def training_pairs(corpus: Corpus, asks_file: Path = ASKS_FILE) -> list[tuple[str, str]]:
    """``(ask, paragraph id)`` pairs, once each, in a fixed order: every paragraph's own
    ``asks:``, then the lines of ``asks_file`` in file order, leaving out the asks that are
    blind-written questions (:func:`bot.voice_training.blind_written_questions`)."""
    blind = blind_written_questions()
    pairs: list[tuple[str, str]] = []
    for p in corpus.paragraphs:
        pairs += [(a, p.id) for a in p.asks]
    known = {p.id for p in corpus.paragraphs}
    for _, row in json_objects(asks_file):
        if not row or row.get("id") not in known:
            continue
        pairs += [(a.strip(), row["id"]) for a in row.get("asks", []) if a.strip() and a.strip() not in blind]
    return list(dict.fromkeys(pairs))


def batches(pids: Sequence[str], rng: np.random.Generator, size: int = BATCH) -> list[list[int]]:
    """Batches of pair indices in a new shuffled order drawn from ``rng``."""
    order = rng.permutation(len(pids))
    return [list(order[i : i + size]) for i in range(0, len(order), size)]


def tune(
    pairs: Sequence[tuple[str, str]],
    passages: dict[str, str],
    seed: int = SEED,
    epochs: int = EPOCHS,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], float]:
    """Train adapters so each ask's vector is nearest its paragraph's passage; returns the
    adapters as ``{layer path: (A, B)}`` and their scale, for :func:`index.delta.save_delta`."""
    import torch

    from bot.screening.encoder_training import (
        ALPHA,
        RANK,
        adapter_matrices,
        load_base,
        train_epochs,
        warm_then_linear,
        with_adapters,
    )

    torch.manual_seed(seed)
    model = load_base()
    adapters = with_adapters(model)
    params = [p for m in adapters.values() for p in (m.A, m.B)]
    optimiser = torch.optim.AdamW(params, lr=LEARNING_RATE, weight_decay=0.01)
    rng = np.random.default_rng(seed)
    pids = [pid for _, pid in pairs]
    schedule = warm_then_linear(optimiser, epochs * math.ceil(len(pairs) / BATCH))

    def batch_loss(rows: list[int]) -> Any:
        ids = [pids[j] for j in rows]
        unique = list(dict.fromkeys(ids))
        q = model(model.preprocess([pairs[j][0] for j in rows]))["sentence_embedding"]
        d = model(model.preprocess([passages[u] for u in unique]))["sentence_embedding"]
        target = torch.tensor([unique.index(i) for i in ids])
        return torch.nn.functional.cross_entropy(SCALE * q @ d.T, target)

    train_epochs(model, optimiser, schedule, epochs, lambda: batches(pids, rng), batch_loss, "answer encoder", progress)
    return adapter_matrices(adapters), ALPHA / RANK


def data_digest(pairs: Sequence[tuple[str, str]], passages: dict[str, str]) -> str:
    body = json.dumps({"pairs": list(pairs), "passages": passages}, sort_keys=True).encode("utf-8")
    return hashlib.sha256(body).hexdigest()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.answer_encoder_training",
        description="Tune MiniLM's adapters for answering on the corpus's reading writers' asks "
        "and write the delta into guidance_corpus/questions/encoder/ (fixed seed; minutes on 2 cores).",
    )
    parser.add_argument("--out", type=Path, default=ANSWER_ENCODER_DIR, help="folder for delta.npz and delta.json")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args(argv)
    from bot.screening.encoder_training import TARGETS
    from index.delta import save_delta
    from index.embedders import MINILM_WEIGHTS_SHA256

    corpus = load_corpus()
    pairs = training_pairs(corpus)
    passages = {p.id: base_text(p) for p in corpus.paragraphs}
    print(f"Tuning answering's encoder on {len(pairs):,} asks of {len(passages)} paragraphs", file=sys.stderr)
    layers, scale = tune(pairs, passages, epochs=args.epochs, progress=lambda s: print(s, file=sys.stderr))
    manifest = save_delta(
        args.out,
        "answer",
        layers,
        scale,
        MINILM_WEIGHTS_SHA256,
        {
            "seed": SEED,
            "epochs": args.epochs,
            "learning_rate": LEARNING_RATE,
            "targets": list(TARGETS),
            "data_sha256": data_digest(pairs, passages),
            "made_by": "make train-answer-encoder (python -m bot.answer_encoder_training)",
        },
    )
    print(f"Wrote {args.out} ({str(manifest['sha256'])[:12]})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
