"""Train the conduct classifier (:mod:`bot.screening.classifier`) reproducibly.

``python -m bot.screening.training`` (``make train``) reads the training messages in
``guidance_corpus/screening/training/*.jsonl`` (``{"text": ..., "category": ... or
null}``; how each batch was written is in that folder's README) and the examples of
``exemplars.toml``, tunes screening's encoder on them (:mod:`.encoder_training`; the delta
goes to ``guidance_corpus/screening/encoder/``), embeds them with the tuned encoder exactly
as screening does, fits a multinomial logistic regression with L2 penalty and balanced
class weights (L-BFGS from zeros: deterministic), and calibrates one probability threshold
per category: the lowest threshold at which at most ``target_fpr`` of the ordinary
training messages reach that category, read from probabilities cross-fitted by writer (an
encoder and a classifier that never saw the message's writer). It writes ``model.npz``
and ``model.json`` (with the data digest, the seed and the weights' SHA-256).
``--no-encoder`` keeps the packaged encoder and calibrates out of fold instead.

No evaluation set is read here: the training data and the evaluation sets never share
writers or briefs (``eval/README.md``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.json_lines import json_objects
from bot.screening.chars import CHARS_FILE, CHARS_MANIFEST
from bot.screening.classifier import (
    MANIFEST_FILE,
    MODEL_FILE,
    ORDINARY,
    ConductClassifier,
    word_features,
)
from bot.screening.combiner import COMBINER_FILE
from bot.screening.data import load_screening_data
from bot.screening.text import prepare
from bot.types import Category
from guidance_corpus import SCREENING_DIR, SCREENING_ENCODER_DIR
from index.checked_files import read_json_object, sha256_of

TRAINING_DIR = SCREENING_DIR / "training"
CLASSIFIER_DIR = SCREENING_DIR / "classifier"
ENCODER_FOLDS = 2  # writer groups for cross-fitting the tuned encoder
CLASSES: tuple[str, ...] = (ORDINARY, *(c.value for c in Category))
SEED = 20261206
L2 = 1e-3  # penalty on the weights (per example, mean loss)
TARGET_FPR = 0.03  # share of ordinary training messages allowed to reach any category, out of fold
FOLDS = 5
MIN_WORD_COUNT = 3  # a word or word pair must occur in this many training messages to be a feature


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # a class name
    group: str = ""  # who wrote it: the training file's stem, or "exemplars"


def read_training(folder: Path = TRAINING_DIR, screening_dir: Path = SCREENING_DIR) -> list[Example]:
    """The training messages and the exemplar examples; a bad line raises naming its file and line."""
    out = read_writers(folder)
    for s in load_screening_data(screening_dir).exemplars:
        label = s.category.value if s.category is not None else ORDINARY
        out += [Example(t, label, "exemplars") for t in s.examples]
    return out


def read_writers(folder: Path = TRAINING_DIR) -> list[Example]:
    """The writers' training messages alone (``*.jsonl`` in ``folder``); a bad line raises
    naming its file and line."""
    out: list[Example] = []
    for path in sorted(folder.glob("*.jsonl")):
        for where, row in json_objects(path):
            if row is None or "text" not in row:
                raise ValueError(f"{where}: not a training line (JSON with 'text' and 'category')")
            label = row.get("category") or ORDINARY
            text = row["text"]
            if label not in CLASSES or not isinstance(text, str) or not text.strip():
                raise ValueError(f"{where}: unknown category {label!r} or empty text")
            out.append(Example(text, label, path.stem))
    return out


def writers_messages(folder: Path = TRAINING_DIR, classes: Sequence[str] = CLASSES) -> tuple[list[str], list[int]]:
    """The writers' training messages (not the exemplars) as the model reads them
    (``prepare(text).model``), and each one's class number in ``classes``: what
    :class:`.neighbours.TrainingNeighbours` compares a message with."""
    chosen = read_writers(folder)
    return [prepare(e.text).model for e in chosen], [list(classes).index(e.label) for e in chosen]


def data_digest(examples: Sequence[Example]) -> str:
    h = hashlib.sha256()
    for e in examples:
        h.update(f"{e.label}\x1f{e.text}\x1e".encode())
    return h.hexdigest()


def _fit(x: np.ndarray, y: np.ndarray, n_classes: int, l2: float) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression, balanced class weights, L2 on the weights only."""
    from scipy.optimize import minimize

    n, d = x.shape
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    sample_w = (n / (n_classes * np.maximum(counts, 1)))[y]
    sample_w /= sample_w.sum()
    onehot = np.eye(n_classes)[y]
    x64 = x.astype(np.float64)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: d * n_classes].reshape(d, n_classes)
        b = theta[d * n_classes :]
        z = x64 @ w + b
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        value = -(sample_w * (onehot * logp).sum(axis=1)).sum() + 0.5 * l2 * (w * w).sum()
        g = (np.exp(logp) - onehot) * sample_w[:, None]
        return float(value), np.concatenate([(x64.T @ g + l2 * w).ravel(), g.sum(axis=0)])

    theta0 = np.zeros(d * n_classes + n_classes)
    res = minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    w = res.x[: d * n_classes].reshape(d, n_classes).astype(np.float32)
    return w, res.x[d * n_classes :].astype(np.float32)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def out_of_fold(x: np.ndarray, y: np.ndarray, l2: float = L2, folds: int = FOLDS, seed: int = SEED) -> np.ndarray:
    """Probabilities for every example from a model that did not see it."""
    rng = np.random.default_rng(seed)
    fold_of = rng.permutation(len(y)) % folds
    probs = np.zeros((len(y), len(CLASSES)), dtype=np.float64)
    for f in range(folds):
        train, test = fold_of != f, fold_of == f
        w, b = _fit(x[train], y[train], len(CLASSES), l2)
        probs[test] = _softmax(x[test] @ w + b)
    return probs


def calibrate(probs: np.ndarray, y: np.ndarray, target_fpr: float = TARGET_FPR) -> dict[str, float]:
    """Per category, the lowest probability threshold that at most an equal share of
    ``target_fpr`` of the ordinary examples reach (never below 0.2, so a category must
    stand out); together at most ``target_fpr`` of them reach any category."""
    ordinary = probs[y == 0]
    share = target_fpr / (len(CLASSES) - 1)
    out: dict[str, float] = {}
    for j, name in enumerate(CLASSES):
        if j == 0:
            continue
        scores = np.sort(ordinary[:, j])[::-1]
        allowed = int(np.floor(share * len(scores)))
        t = float(scores[allowed]) + 1e-4 if allowed < len(scores) else 0.0
        out[name] = round(max(t, 0.2), 4)
    return out


def embed(texts: Sequence[str], embedder_name: str = "minilm") -> tuple[np.ndarray, str]:
    """Vectors from the embedder screening runs on (the configured ``embed_backend``)."""
    from bot.config import load_settings
    from bot.service import embedder_for

    settings = load_settings(embedder=embedder_name)
    embedder = embedder_for(settings, "screen")
    prepared = [prepare(t).model for t in texts]
    return np.asarray(embedder.encode(prepared), dtype=np.float32), embedder.embedder_id


def vocabulary_of(folded: Sequence[str], min_count: int = MIN_WORD_COUNT) -> tuple[str, ...]:
    """Words and word pairs found in at least ``min_count`` messages, sorted."""
    counts = Counter(w for text in folded for w in set(word_features(text)))
    return tuple(sorted(w for w, c in counts.items() if c >= min_count))


def features(examples: Sequence[Example], embedder_name: str = "minilm") -> tuple[np.ndarray, str, tuple[str, ...]]:
    """The classifier's inputs for ``examples``: the embedding and the word features."""
    vectors, embedder_id = embed([e.text for e in examples], embedder_name)
    folded = [prepare(e.text).folded for e in examples]
    vocabulary = vocabulary_of(folded)
    probe = ConductClassifier(
        CLASSES, np.zeros((1, 1), np.float32), np.zeros(1, np.float32), {}, embedder_id, vocabulary
    )
    return probe.features(vectors, folded), embedder_id, vocabulary


def writer_folds(examples: Sequence[Example], folds: int = ENCODER_FOLDS) -> np.ndarray:
    """Fold number per example, whole writers (groups) to a fold, in sorted group order."""
    groups = sorted({e.group for e in examples})
    fold_of_group = {g: i % folds for i, g in enumerate(groups)}
    return np.array([fold_of_group[e.group] for e in examples])


@dataclass(frozen=True)
class CrossFitted:
    """For every example, from the fold of writers that excludes its own: ``probs``, the
    classifier's probabilities, and ``vectors``, the tuned encoder's; ``exemplar_vectors[f]``
    are the exemplar sets' examples (in set order) and ``fold_vectors[f]`` every example
    under fold ``f``'s encoder."""

    probs: np.ndarray
    fold_of: np.ndarray
    exemplar_vectors: tuple[np.ndarray, ...]
    fold_vectors: tuple[np.ndarray, ...]

    @property
    def vectors(self) -> np.ndarray:
        """Each example's vector under the encoder of the fold that excludes its writer."""
        out = np.zeros_like(self.fold_vectors[0])
        for f, every in enumerate(self.fold_vectors):
            out[self.fold_of == f] = every[self.fold_of == f]
        return out


def cross_fitted(
    examples: Sequence[Example],
    y: np.ndarray,
    l2: float,
    seed: int,
    progress: Callable[[str], None],
    exemplar_texts: Sequence[str] = (),
) -> CrossFitted:
    """Probabilities for every example from an encoder and a classifier that saw none of
    its writer's messages: the encoder is tuned, and the classifier fitted, on the other
    folds' writers. Thresholds calibrated on these hold for a new writer, where
    probabilities from the encoder that was tuned on the message itself would not; the
    learned combiner is fitted on them for the same reason."""
    from bot.screening.encoder_training import encode, tune

    texts = [prepare(e.text).model for e in examples]
    folded = [prepare(e.text).folded for e in examples]
    fold_of = writer_folds(examples)
    probs = np.zeros((len(y), len(CLASSES)), dtype=np.float64)
    exemplar_vectors: list[np.ndarray] = []
    every: list[np.ndarray] = []
    for f in sorted(set(fold_of.tolist())):
        train_rows, test_rows = np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)
        progress(f"cross-fitting: tuning on {len(train_rows)} messages, scoring {len(test_rows)} from other writers")
        model, _, _ = tune([texts[i] for i in train_rows], y[train_rows], len(CLASSES), seed, progress=progress)
        fold_vectors = encode(model, texts)
        every.append(fold_vectors)
        exemplar_vectors.append(encode(model, [prepare(t).model for t in exemplar_texts]))
        vocabulary = vocabulary_of([folded[i] for i in train_rows])
        probe = ConductClassifier(CLASSES, np.zeros((1, 1), np.float32), np.zeros(1, np.float32), {}, "", vocabulary)
        x = probe.features(fold_vectors, folded)
        w, b = _fit(x[train_rows], y[train_rows], len(CLASSES), l2)
        probs[test_rows] = _softmax(x[test_rows] @ w + b)
    return CrossFitted(probs, fold_of, tuple(exemplar_vectors), tuple(every))


def crossed_neighbour_shares(crossed: CrossFitted, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each of ``rows`` (writers' messages), :func:`.neighbours.neighbour_shares` among
    the other fold's ``rows``, all under the encoder tuned on that other fold: as a new
    message meets the messages the encoder was tuned on."""
    from bot.screening.neighbours import neighbour_shares

    shares = np.zeros((len(rows), len(CLASSES)))
    fold = crossed.fold_of[rows]
    for f, vectors in enumerate(crossed.fold_vectors):
        mine, pool = rows[fold == f], rows[fold != f]
        shares[fold == f] = neighbour_shares(vectors[mine], vectors[pool], y[pool], len(CLASSES))
    return shares


def fit_combiner(
    examples: Sequence[Example],
    y: np.ndarray,
    crossed: CrossFitted,
    thresholds: dict[str, float],
    out_dir: Path,
    progress: Callable[[str], None],
) -> dict[str, object]:
    """Fit the character model (:mod:`.char_training`) on every example and write it, then
    the learned combiner (:mod:`.combiner_training`) on the writers' messages (not the
    exemplars, which would find themselves), and write ``combiner.json``."""
    from bot.config import Settings
    from bot.screening.char_training import fit_char_model, left_out_log_probabilities, write_char_model
    from bot.screening.combiner_training import evidence_digest, fit_combiner_file
    from bot.screening.lexical import LexicalAnalyser

    data = load_screening_data(SCREENING_DIR)
    lexical = LexicalAnalyser.build(data, Settings())
    folded = [prepare(e.text).folded for e in examples]
    progress("character model: fitting it with each writer left out in turn, then on everyone")
    char_log_probs = left_out_log_probabilities(folded, y, [e.group for e in examples], CLASSES)
    write_char_model(fit_char_model(folded, y, CLASSES), out_dir, data_digest(examples))
    rows = np.array([i for i, e in enumerate(examples) if e.group != "exemplars"])
    probe = ConductClassifier(CLASSES, np.zeros((1, 1), np.float32), np.zeros(1, np.float32), thresholds, "")
    return fit_combiner_file(
        [examples[i].text for i in rows],
        y[rows],
        [examples[i].group for i in rows],
        probe,
        crossed.probs[rows],
        char_log_probs[rows],
        crossed.vectors[rows],
        crossed_neighbour_shares(crossed, y, rows),
        data,
        lexical,
        crossed.exemplar_vectors,
        crossed.fold_of[rows],
        out_dir,
        {"data_sha256": data_digest(examples), "evidence_sha256": evidence_digest(SCREENING_DIR)},
        progress,
    )


def tune_encoder(
    examples: Sequence[Example], y: np.ndarray, seed: int, encoder_dir: Path, progress: Callable[[str], None]
) -> dict[str, object]:
    """Tune the encoder on every training message and write its delta to ``encoder_dir``."""
    from bot.screening import encoder_training as et
    from index.delta import save_delta
    from index.embedders import MINILM_WEIGHTS_SHA256

    progress(f"tuning the screening encoder on {len(examples)} messages")
    _, layers, scale = et.tune([prepare(e.text).model for e in examples], y, len(CLASSES), seed, progress=progress)
    made: dict[str, object] = {
        "seed": seed,
        "epochs": et.EPOCHS,
        "learning_rate": et.LEARNING_RATE,
        "targets": list(et.TARGETS),
        "data_sha256": data_digest(examples),
        "made_by": "make train (python -m bot.screening.training)",
    }
    return save_delta(encoder_dir, "screen", layers, scale, MINILM_WEIGHTS_SHA256, made)


def exemplar_texts(screening_dir: Path = SCREENING_DIR) -> list[str]:
    """The exemplar sets' examples, sets in order (as :class:`.exemplars.ExemplarIndex` holds them)."""
    return [t for s in load_screening_data(screening_dir).exemplars for t in s.examples]


def refit_combiner(
    out_dir: Path = CLASSIFIER_DIR, training_dir: Path = TRAINING_DIR, progress: Callable[[str], None] | None = None
) -> dict[str, object]:
    """Refit only the combiner (after a change to the rules or exemplars), keeping the
    committed encoder and classifier and its thresholds; the cross-fitting is repeated."""
    report = progress if progress is not None else _stderr
    examples = read_training(training_dir)
    y = np.array([CLASSES.index(e.label) for e in examples])
    manifest = read_json_object(out_dir / MANIFEST_FILE, ValueError, "run `make train` first")
    crossed = cross_fitted(examples, y, float(manifest["l2"]), int(manifest["seed"]), report, exemplar_texts())
    return fit_combiner(examples, y, crossed, dict(manifest["thresholds"]), out_dir, report)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def train(
    out_dir: Path = CLASSIFIER_DIR,
    training_dir: Path = TRAINING_DIR,
    l2: float = L2,
    target_fpr: float = TARGET_FPR,
    seed: int = SEED,
    encoder_dir: Path | None = SCREENING_ENCODER_DIR,
    progress: Callable[[str], None] = _stderr,
) -> dict[str, object]:
    """Fit, calibrate and write the classifier; returns the manifest. With an
    ``encoder_dir`` the screening encoder is tuned first (:func:`tune_encoder`) and the
    thresholds are calibrated on cross-fitted probabilities (:func:`cross_fitted`); with
    None the classifier sits on the packaged encoder, calibrated out of fold."""
    examples = read_training(training_dir)
    y = np.array([CLASSES.index(e.label) for e in examples])
    encoder: dict[str, object] | None = None
    if encoder_dir is not None:
        crossed = cross_fitted(examples, y, l2, seed, progress, exemplar_texts())
        probs = crossed.probs
        thresholds = calibrate(probs, y, target_fpr)
        fit_combiner(examples, y, crossed, thresholds, out_dir, progress)
        encoder = tune_encoder(examples, y, seed, encoder_dir, progress)
        x, embedder_id, vocabulary = features(examples)
    else:
        for name in (COMBINER_FILE, CHARS_FILE, CHARS_MANIFEST):  # fitted beside the tuned encoder only
            (out_dir / name).unlink(missing_ok=True)
        x, embedder_id, vocabulary = features(examples)
        probs = out_of_fold(x, y, l2, FOLDS, seed)
        thresholds = calibrate(probs, y, target_fpr)
    weights, bias = _fit(x, y, len(CLASSES), l2)
    risky = y != 0
    reached = np.zeros(len(y), dtype=bool)
    for j, name in enumerate(CLASSES[1:], 1):
        reached |= probs[:, j] >= thresholds[name]
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / MODEL_FILE
    np.savez(model_path, weights=weights, bias=bias, vocabulary=np.array(vocabulary, dtype=str))
    manifest: dict[str, object] = {
        "classes": list(CLASSES),
        "thresholds": thresholds,
        "embedder_id": embedder_id,
        "encoder_delta_sha256": encoder["sha256"] if encoder is not None else None,
        "seed": seed,
        "l2": l2,
        "target_fpr": target_fpr,
        "calibration": "cross-fitted by writer" if encoder is not None else f"{FOLDS}-fold out of fold",
        "examples": dict(Counter(e.label for e in examples)),
        "vocabulary": len(vocabulary),
        "data_sha256": data_digest(examples),
        "out_of_fold": {
            "recall": round(float(reached[risky].mean()), 4),
            "false_alarms": round(float(reached[~risky].mean()), 4),
        },
        "sha256": sha256_of(model_path),
    }
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.screening.training",
        description="Train the conduct classifier from guidance_corpus/screening/training.",
    )
    parser.add_argument("--out", type=Path, default=CLASSIFIER_DIR, help="folder for model.npz and model.json")
    parser.add_argument(
        "--no-encoder",
        action="store_true",
        help="fit the classifier on the packaged encoder: remove the tuned encoder's delta "
        "(guidance_corpus/screening/encoder/) instead of tuning a new one (minutes faster)",
    )
    parser.add_argument(
        "--target-fpr",
        type=float,
        default=TARGET_FPR,
        help="share of ordinary training messages allowed to reach a category (default %(default)s)",
    )
    parser.add_argument(
        "--combiner-only",
        action="store_true",
        help="refit only the character model and the learned combiner (chars.npz, combiner.json), "
        "keeping the committed encoder and classifier: after editing the rules, terms, identifiers, "
        "jigsaw, exemplars or policy",
    )
    args = parser.parse_args(argv)
    try:
        if args.combiner_only:
            combined = refit_combiner(args.out)
            print(json.dumps(combined["left_out_by_writer"], indent=2))
            print("now run `make calibrate` to set the sensitivity thresholds on the held-out sets", file=sys.stderr)
            return 0
        if args.no_encoder:
            for name in ("delta.npz", "delta.json"):
                (SCREENING_ENCODER_DIR / name).unlink(missing_ok=True)
        manifest = train(
            args.out, target_fpr=args.target_fpr, encoder_dir=None if args.no_encoder else SCREENING_ENCODER_DIR
        )
    except ValueError as exc:
        print(f"gmcbot: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({k: manifest[k] for k in ("examples", "thresholds", "out_of_fold", "sha256")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
