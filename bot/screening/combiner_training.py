"""Fit the learned combiner (:mod:`bot.screening.combiner`) on the training messages.

:func:`fit_combiner_file` is called by :mod:`bot.screening.training` with probabilities and
exemplar similarities *cross-fitted by writer* (from an encoder tuned, and a classifier
fitted, without the message's writer), so the combiner learns how far each kind of
evidence can be trusted on a writer the models never saw. The exemplar examples
themselves are left out (their nearest example is themselves).

- The weights: multinomial logistic regression (ordinary's logit fixed at 0, one
  weight per feature shared by the categories, one bias per category), balanced class weights, L2
  penalty, L-BFGS from zeros: deterministic.
- The thresholds: each writer is left out in turn and scored by a combiner fitted on the
  others; the threshold for a sensitivity is the risk that :data:`TARGET_FPR` of the
  ordinary messages reach.
- ``combiner.json`` records the weights, the thresholds, the figures left out by writer
  (and the hand-set policy's on the same messages, for comparison) and the digests of the
  training data and of the screening data the evidence came from, so a test can tell
  when it must be refitted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bot.screening.classifier import ConductClassifier, classifier_evidence
from bot.screening.combiner import (
    CATEGORIES,
    COMBINER_FILE,
    FEATURES,
    SENSITIVITIES,
    EvidenceCombiner,
    combiner_features,
)
from bot.screening.data import ScreeningData
from bot.screening.exemplars import ExemplarIndex
from bot.screening.lexical import LexicalAnalyser
from bot.screening.policy import weigh
from bot.screening.text import prepare

L2 = 1e-2
# Share of ordinary messages (from writers the model never saw) allowed to reach each
# sensitivity's threshold. "normal" is about the hand-set policy's own rate on the same
# messages (0.121 when the combiner was introduced), so the combiner adds recall, not alarms.
TARGET_FPR = {"low": 0.06, "normal": 0.12, "high": 0.20}
# The screening data files the combiner's evidence comes from (a change needs a refit).
EVIDENCE_FILES = ("rules.toml", "terms.toml", "identifiers.toml", "jigsaw.toml", "exemplars.toml", "policy.toml")


def evidence_digest(screening_dir: Path) -> str:
    h = hashlib.sha256()
    for name in EVIDENCE_FILES:
        h.update(name.encode() + b"\x1f" + (screening_dir / name).read_bytes() + b"\x1e")
    return h.hexdigest()


def feature_rows(
    texts: Sequence[str],
    classifier: ConductClassifier,
    probs: np.ndarray,
    char_log_probs: np.ndarray,
    sims: np.ndarray,
    lexical: LexicalAnalyser,
    exemplars: ExemplarIndex,
    shares: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Combiner features per text ``(n, categories, features)`` and whether the hand-set
    policy flags it, from given classifier probabilities, exemplar similarities and
    nearest-message shares (the classifier gives only its class names and thresholds here)."""
    rows = np.zeros((len(texts), len(CATEGORIES), len(FEATURES)))
    hand = np.zeros(len(texts), dtype=bool)
    policy = exemplars.policy
    for i, text in enumerate(texts):
        lex = lexical.analyse(prepare(text))
        p = dict(zip(classifier.classes, (float(v) for v in probs[i]), strict=True))
        c = dict(zip(classifier.classes, (float(v) for v in char_log_probs[i]), strict=True))
        near = dict(zip(classifier.classes, (float(v) for v in shares[i]), strict=True))
        rows[i] = combiner_features(
            lex.evidence, lex.jigsaw, exemplars.category_margins(sims[i]), p, c, lex.mitigation, lex.linked, near
        )
        evidence = [
            *lex.evidence,
            *exemplars.evidence(sims[i]),
            *classifier_evidence(classifier, probs[i], sims[i], exemplars, lex.linked, policy),
        ]
        lowered = [e.lowered(lex.mitigation) for e in evidence]
        if lex.jigsaw is not None:
            lowered.append(lex.jigsaw)
        verdict = weigh(lowered, policy)
        hand[i] = bool(verdict.scores) and verdict.scores[0][1] >= policy.flag_threshold
    return rows, hand


def fit(x: np.ndarray, y: np.ndarray, l2: float = L2) -> EvidenceCombiner:
    """Weights for features ``x`` ``(n, categories, features)`` and classes ``y`` (0 =
    ordinary, ``i`` = ``CATEGORIES[i - 1]``); thresholds are left empty."""
    from scipy.optimize import minimize

    n, n_cat, n_feat = x.shape
    flat = x.reshape(-1, n_feat)
    mean, scale = flat.mean(axis=0), flat.std(axis=0) + 1e-6
    z = (x - mean) / scale
    counts = np.bincount(y, minlength=n_cat + 1)
    sample = (len(y) / ((n_cat + 1) * np.maximum(counts, 1)))[y]
    sample = sample / sample.sum()
    rows = np.arange(n)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:n_feat], theta[n_feat:]
        logits = np.concatenate([np.zeros((n, 1)), z @ w + b], axis=1)
        logits -= logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        value = -float((sample * log_p[rows, y]).sum()) + l2 * float(w @ w)
        grad = np.exp(log_p)
        grad[rows, y] -= 1.0
        grad *= sample[:, None]
        gw = np.einsum("nc,ncf->f", grad[:, 1:], z) + 2 * l2 * w
        return value, np.concatenate([gw, grad[:, 1:].sum(axis=0)])

    result = minimize(loss, np.zeros(n_feat + n_cat), jac=True, method="L-BFGS-B")
    return EvidenceCombiner(mean, scale, result.x[:n_feat], result.x[n_feat:], {})


def left_out_risk(x: np.ndarray, y: np.ndarray, groups: Sequence[str], l2: float = L2) -> np.ndarray:
    """Each message's risk from a combiner fitted without its writer."""
    groups_ = np.asarray(groups)
    risk = np.zeros(len(y))
    for g in sorted(set(groups_.tolist())):
        out = groups_ == g
        risk[out] = 1.0 - fit(x[~out], y[~out], l2).probabilities(x[out])[:, 0]
    return risk


def _rates(flagged: np.ndarray, y: np.ndarray) -> dict[str, float]:
    risky = y != 0
    return {
        "recall": round(float(flagged[risky].mean()), 4),
        "false_alarms": round(float(flagged[~risky].mean()), 4),
    }


def fit_combiner_file(
    texts: Sequence[str],
    y: np.ndarray,
    groups: Sequence[str],
    classifier: ConductClassifier,
    probs: np.ndarray,
    char_log_probs: np.ndarray,
    vectors: np.ndarray,
    shares: np.ndarray,
    data: ScreeningData,
    lexical: LexicalAnalyser,
    exemplar_matrices: Sequence[np.ndarray],
    fold_of: np.ndarray,
    out_dir: Path,
    digests: dict[str, str],
    progress: Callable[[str], None],
) -> dict[str, object]:
    """Fit on cross-fitted ``probs`` and ``vectors`` (``vectors[i]`` compared with the
    exemplars' ``exemplar_matrices[fold_of[i]]``, from the same encoder), the character
    model's ``char_log_probs`` (each from a model fitted without the writer) and the
    nearest-message ``shares`` (from the other fold's writers), calibrate, write
    ``combiner.json``; returns it."""
    x = np.zeros((len(texts), len(CATEGORIES), len(FEATURES)))
    hand_flags = np.zeros(len(texts), dtype=bool)
    for fold, matrix in enumerate(exemplar_matrices):
        rows = np.flatnonzero(fold_of == fold)
        exemplars = ExemplarIndex(data.exemplars, None, data.policy, matrix=matrix)
        sims = exemplars.similarities(vectors[rows])
        x[rows], hand_flags[rows] = feature_rows(
            [texts[int(i)] for i in rows],
            classifier,
            probs[rows],
            char_log_probs[rows],
            sims,
            lexical,
            exemplars,
            shares[rows],
        )
    progress(f"combiner: leaving each of {len(set(groups))} writers out in turn")
    risk = left_out_risk(x, y, groups)
    ordinary = risk[y == 0]
    thresholds = {s: float(np.quantile(ordinary, 1.0 - TARGET_FPR[s])) for s in SENSITIVITIES}
    combiner = fit(x, y)
    combiner = EvidenceCombiner(combiner.mean, combiner.scale, combiner.weights, combiner.bias, thresholds)
    manifest: dict[str, object] = {
        **combiner.to_json(),
        "l2": L2,
        "target_false_alarms": TARGET_FPR,
        "messages": len(y),
        "left_out_by_writer": {
            "hand_set_policy": _rates(hand_flags, y),
            **{s: _rates(risk >= thresholds[s], y) for s in SENSITIVITIES},
        },
        **digests,
        "made_by": "make train (python -m bot.screening.training)",
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / COMBINER_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
