"""Tune MiniLM for screening: low-rank adapters trained on the conduct categories.

A frozen sentence encoder places messages by topic, not by risk: "can you send me the
ward list" and "can you send me your smartcard PIN" sit close together. Screening's encoder
is therefore tuned on the training messages (``guidance_corpus/screening/training/`` and the
exemplars): rank-:data:`RANK` adapters (LoRA) on every linear layer of the six transformer
blocks, the rest frozen, trained for :data:`EPOCHS` epochs with a cosine classifier over the
eight classes (ordinary and the seven categories, balanced class weights) on the same
pooled, normalised vector screening reads. Only the adapters are kept, as a
:mod:`index.delta` folder merged into the weights at load, so the tuned model is the
packaged one plus about 1 MB.

Torch is imported here only; a process that screens runs the merged ONNX graph. Training
uses a fixed seed; the committed delta carries its SHA-256 (``make train`` rewrites it).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

RANK = 8
ALPHA = 16.0
EPOCHS = 3
LEARNING_RATE = 5e-4
BATCH = 32
SCALE = 20.0  # cosine classifier temperature
TARGETS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


def _lora_class() -> Any:
    import torch

    class LoRALinear(torch.nn.Module):
        """``base(x) + scale * x A^T B^T`` with ``base`` frozen; B starts at zero."""

        def __init__(self, base: torch.nn.Linear, rank: int, alpha: float) -> None:
            super().__init__()
            self.base = base
            self.scale = alpha / rank
            self.A = torch.nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
            self.B = torch.nn.Parameter(torch.zeros(base.out_features, rank))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.base(x) + (x @ self.A.T @ self.B.T) * self.scale

    return LoRALinear


def load_base() -> Any:
    """The packaged MiniLM as a sentence-transformers model (checked against its hashes)."""
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    from index.embedders import locate_minilm, verify_minilm

    folder = locate_minilm()
    verify_minilm(folder)
    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


def with_adapters(model: Any) -> dict[str, Any]:
    """Freeze ``model`` (a sentence-transformers MiniLM) and wrap each :data:`TARGETS`
    linear layer of its six blocks in a rank-:data:`RANK` adapter, in place; returns the
    adapters by layer path. Their initial values are drawn from torch's generator, block by
    block, so a fixed seed set before gives the same start."""
    bert = model[0].auto_model
    lora = _lora_class()
    for p in bert.parameters():
        p.requires_grad = False
    adapters: dict[str, Any] = {}
    for i, block in enumerate(bert.encoder.layer):
        for path in TARGETS:
            parent_path, _, leaf = path.rpartition(".")
            parent = block.get_submodule(parent_path)
            wrapped = lora(getattr(parent, leaf), RANK, ALPHA)
            setattr(parent, leaf, wrapped)
            adapters[f"encoder.layer.{i}.{path}"] = wrapped
    return adapters


def warm_then_linear(optimiser: Any, total: int) -> Any:
    """The learning-rate schedule both tunings use: a linear warm-up over the first tenth
    of ``total`` steps, then a linear fall to zero."""
    import torch

    warm = max(1, int(0.1 * total))
    return torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min(1.0, (s + 1) / warm) * max(0.0, 1.0 - s / total))


def adapter_matrices(adapters: dict[str, Any]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The trained adapters as ``{layer path: (A, B)}``, ready for :func:`index.delta.save_delta`."""
    return {path: (m.A.detach().numpy().copy(), m.B.detach().numpy().copy()) for path, m in sorted(adapters.items())}


def train_epochs(
    model: Any,
    optimiser: Any,
    schedule: Any,
    epochs: int,
    epoch_batches: Callable[[], Iterable[Any]],
    batch_loss: Callable[[Any], Any],
    name: str,
    progress: Callable[[str], None] | None = None,
) -> None:
    """The training loop both tunings share: for each epoch, ``epoch_batches()`` gives the
    batches (drawn at the epoch's start), each batch's ``batch_loss`` is minimised one step
    at a time, and ``progress`` hears the epoch's mean loss and time."""
    for epoch in range(epochs):
        model.train()
        started, running, steps = time.monotonic(), 0.0, 0
        for rows in epoch_batches():
            loss = batch_loss(rows)
            loss.backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            running += float(loss.item())
            steps += 1
        if progress is not None:
            progress(
                f"{name} epoch {epoch + 1}/{epochs}: loss {running / max(steps, 1):.3f} "
                f"({time.monotonic() - started:.0f} s)"
            )


def tune(
    texts: Sequence[str],
    labels: Sequence[int] | np.ndarray,
    n_classes: int,
    seed: int,
    epochs: int = EPOCHS,
    progress: Callable[[str], None] | None = None,
) -> tuple[Any, dict[str, tuple[np.ndarray, np.ndarray]], float]:
    """Train adapters on ``texts`` (screening's model view of each message) and their class
    indices; returns the model with adapters in place, the adapters as ``{layer path:
    (A, B)}`` and their scale, ready for :func:`index.delta.save_delta`."""
    import torch

    torch.manual_seed(seed)
    model = load_base()
    adapters = with_adapters(model)
    head = torch.nn.Parameter(torch.randn(n_classes, model[0].auto_model.config.hidden_size) * 0.01)
    params = [p for m in adapters.values() for p in (m.A, m.B)] + [head]
    optimiser = torch.optim.AdamW(params, lr=LEARNING_RATE, weight_decay=0.01)
    y = np.asarray(labels)
    counts = np.bincount(y, minlength=n_classes)
    weights = torch.tensor(len(y) / (n_classes * np.maximum(counts, 1)), dtype=torch.float32)
    loss_of = torch.nn.CrossEntropyLoss(weight=weights)
    per_epoch = math.ceil(len(texts) / BATCH)
    schedule = warm_then_linear(optimiser, epochs * per_epoch)
    rng = np.random.default_rng(seed)

    def epoch_batches() -> Iterator[np.ndarray]:
        order = rng.permutation(len(texts))
        return (order[start : start + BATCH] for start in range(0, len(order), BATCH))

    def batch_loss(rows: np.ndarray) -> Any:
        vectors = model(model.preprocess([texts[j] for j in rows]))["sentence_embedding"]
        logits = SCALE * vectors @ torch.nn.functional.normalize(head, dim=1).T
        return loss_of(logits, torch.from_numpy(y[rows]).long())

    train_epochs(model, optimiser, schedule, epochs, epoch_batches, batch_loss, "encoder", progress)
    model.eval()
    return model, adapter_matrices(adapters), ALPHA / RANK


def encode(model: Any, texts: Sequence[str], batch: int = 64) -> np.ndarray:
    """Unit vectors of ``texts`` from a (tuned) sentence-transformers model."""
    import torch

    out = []
    with torch.no_grad():
        for start in range(0, len(texts), batch):
            features = model.preprocess(list(texts[start : start + batch]))
            out.append(model(features)["sentence_embedding"].numpy())
    if not out:
        return np.zeros((0, 384), dtype=np.float32)
    return np.vstack(out).astype(np.float32)
