"""Train the voice model (:mod:`bot.voice`) reproducibly: ``python -m bot.voice_training``
(``make train-voice``).

Every ask of every paragraph whose document is written for one profession (``doctors``,
``nurses`` or ``ahp``; documents for everyone are left out) is embedded exactly as a
question is (abbreviations expanded), labelled with that audience. A multinomial logistic
regression with an L2 penalty and balanced class weights is fitted by L-BFGS from zeros
(deterministic). Each class's threshold is the lowest probability at which out-of-fold
guesses of that class (five folds grouped by paragraph, so a fold never sees the asks of
a paragraph it is judged on) are right at least :data:`TARGET_PRECISION` of the time. No
evaluation set is read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.blind_written import BLIND_WRITTEN_DIR, labelled_files, read_labelled, stored_text
from bot.corpus import Corpus
from bot.query import expand_for_search, normalise_question
from bot.voice import VOICE_FILE, digest
from index.embedders import model_family

CLASSES = ("doctors", "nurses", "ahp")
SEED = 20261207
L2 = 1e-3
FOLDS = 5
TARGET_PRECISION = 0.9


def blind_written_questions(folder: Path = BLIND_WRITTEN_DIR) -> frozenset[str]:
    """The blind-written questions as they are stored among the asks."""
    return frozenset(stored_text(row["question"]) for path in labelled_files(folder) for row in read_labelled(path))


def examples(corpus: Corpus, blind: frozenset[str] | None = None) -> tuple[list[str], np.ndarray, list[str]]:
    """``(texts, labels, groups)``: each ask as a question, its document's audience (an
    index into :data:`CLASSES`) and its paragraph id. The blind-written questions
    (``blind``, by default :func:`blind_written_questions`) are left out: their writers
    asked in roles of their own, whatever document answers them."""
    blind = blind_written_questions() if blind is None else blind
    texts: list[str] = []
    labels: list[int] = []
    groups: list[str] = []
    for p in corpus.paragraphs:
        audience = corpus.documents[p.doc_id].audience
        if len(audience) != 1 or audience[0] not in CLASSES:
            continue
        for ask in p.all_asks:
            if ask in blind:
                continue  # written by an asker in a role of their own, not in the document's voice
            texts.append(expand_for_search(normalise_question(ask)[0]))
            labels.append(CLASSES.index(audience[0]))
            groups.append(p.id)
    return texts, np.asarray(labels), groups


def fit(x: np.ndarray, y: np.ndarray, l2: float = L2) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``(dim, classes)`` and bias of a balanced, L2-penalised softmax regression."""
    from scipy.optimize import minimize

    k = len(CLASSES)
    counts = np.bincount(y, minlength=k).astype(np.float64)
    sample = (1.0 / (k * np.maximum(counts, 1)))[y]
    onehot = np.eye(k)[y]
    d = x.shape[1]

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = params[: d * k].reshape(d, k), params[d * k :]
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        nll = -(sample * (onehot * logp).sum(axis=1)).sum()
        g = sample[:, None] * (np.exp(logp) - onehot)
        return float(nll + l2 * (w * w).sum()), np.concatenate([(x.T @ g + 2 * l2 * w).ravel(), g.sum(axis=0)])

    res = minimize(loss, np.zeros(d * k + k), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x[: d * k].reshape(d, k), res.x[d * k :]


def _folds(groups: Sequence[str], seed: int) -> np.ndarray:
    names = sorted(set(groups))
    order = np.random.default_rng(seed).permutation(len(names))
    fold_of = {names[i]: n % FOLDS for n, i in enumerate(order)}
    return np.asarray([fold_of[g] for g in groups])


def thresholds(probs: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Per class, the lowest probability from which argmax guesses of it are right at
    least :data:`TARGET_PRECISION` of the time (1.1, never, if none is)."""
    out: dict[str, float] = {}
    guess, top = probs.argmax(axis=1), probs.max(axis=1)
    for c, name in enumerate(CLASSES):
        mine = np.where(guess == c)[0]
        best = 1.1
        for t in sorted(set(top[mine].tolist()), reverse=True):
            chosen = mine[top[mine] >= t]
            if (y[chosen] == c).mean() >= TARGET_PRECISION:
                best = round(float(t), 4)
        out[name] = best
    return out


def train(x: np.ndarray, y: np.ndarray, groups: Sequence[str], embedder_id: str, seed: int = SEED) -> dict[str, Any]:
    """The voice model file's content, with out-of-fold figures."""
    fold = _folds(groups, seed)
    oof = np.zeros((len(y), len(CLASSES)))
    for f in range(FOLDS):
        w, b = fit(x[fold != f], y[fold != f])
        z = x[fold == f] @ w + b
        e = np.exp(z - z.max(axis=1, keepdims=True))
        oof[fold == f] = e / e.sum(axis=1, keepdims=True)
    cuts = thresholds(oof, y)
    w, b = fit(x, y)
    used = {c: int(((oof.argmax(axis=1) == i) & (oof.max(axis=1) >= cuts[c])).sum()) for i, c in enumerate(CLASSES)}
    payload: dict[str, Any] = {
        "embedder": model_family(embedder_id),
        "classes": list(CLASSES),
        "weights": np.round(w, 6).tolist(),
        "bias": np.round(b, 6).tolist(),
        "thresholds": cuts,
        "seed": seed,
        "l2": L2,
        "examples": {c: int((y == i).sum()) for i, c in enumerate(CLASSES)},
        "out_of_fold": {"accuracy": round(float((oof.argmax(axis=1) == y).mean()), 4), "guesses_used": used},
    }
    payload["sha256"] = digest(payload)
    return payload


def data_digest(texts: Sequence[str], y: np.ndarray) -> str:
    h = hashlib.sha256()
    for t, label in zip(texts, y, strict=True):
        h.update(f"{label}\x1f{t}\x1e".encode())
    return h.hexdigest()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.voice_training", description="Train the voice model on the corpus's asks."
    )
    parser.add_argument("--out", type=Path, default=VOICE_FILE, help="where to write the model (JSON)")
    args = parser.parse_args(argv)
    from bot.config import load_settings
    from bot.corpus import load_corpus
    from bot.service import embedder_for

    texts, y, groups = examples(load_corpus())
    embedder = embedder_for(load_settings(), "answer")
    x = np.asarray(embedder.encode(texts), dtype=np.float64)
    payload = train(x, y, groups, embedder.embedder_id)
    payload["data_sha256"] = data_digest(texts, y)
    payload["sha256"] = digest(payload)
    args.out.write_text(json.dumps(payload) + "\n", encoding="utf-8")
    print(json.dumps({k: payload[k] for k in ("examples", "thresholds", "out_of_fold", "sha256")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
