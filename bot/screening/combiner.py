"""The learned combiner: one probability of risk from all of a message's evidence.

Identifiers, rules, the jigsaw score, the exemplar sets and the classifier each give
evidence; the hand-set policy (:mod:`.policy`) took the strongest piece per category. The
combiner instead weighs nine numbers per category with weights learned from the training
messages (:mod:`.combiner_training`), where the classifier's and the exemplar sets' numbers
come from an encoder and a classifier that never saw the message's writer:

- ``rule``: the strongest lexical rule for the category (full weight, not mitigated);
- ``strong``: the strongest identifier or strong rule for it;
- ``jigsaw``: the jigsaw score (``patient-identifiable`` only);
- ``exemplar_margin``: how much closer the category's nearest exemplar set is than the
  nearest ordinary set;
- ``classifier_log_odds``: the classifier's log probability of the category minus that of
  ordinary;
- ``character_log_odds``: the same from the character n-gram classifier (:mod:`.chars`);
- ``mitigation``: the largest mitigator that fired (a reminder, a question, a task done
  properly);
- ``patient_link``: the message is about a patient (``patient-identifiable`` only);
- ``neighbour_share``: the share of the nearest training messages labelled with the
  category (:mod:`.neighbours`; in training, from writers of the other fold).

The weights are shared by the categories, each category has its own bias, and ordinary has
logit 0, so ``risk = 1 - P(ordinary)``. A message is flagged when its risk reaches the
threshold for the channel's sensitivity (each calibrated on writers the model never saw;
``combiner.json`` holds them and the figures). The weights are plain numbers in
``guidance_corpus/screening/classifier/combiner.json``; they are used only together with the
classifier and character model they were fitted beside.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.errors import GmcbotError
from bot.screening.evidence import Evidence
from bot.types import Category
from index.checked_files import read_json_object

COMBINER_FILE = "combiner.json"
FEATURES = (
    "rule",
    "strong",
    "jigsaw",
    "exemplar_margin",
    "classifier_log_odds",
    "character_log_odds",
    "mitigation",
    "patient_link",
    "neighbour_share",
)
CATEGORIES: tuple[Category, ...] = tuple(Category)
SENSITIVITIES = ("low", "normal", "high")
REMEDY = "run `make train` to rebuild it"
_TINY = 1e-6


class CombinerFileError(GmcbotError):
    """``combiner.json`` is missing a field, or its numbers do not fit its features."""


def combiner_features(
    evidence: Sequence[Evidence],
    jigsaw: Evidence | None,
    margins: Mapping[Category, float],
    probabilities: Mapping[str, float],
    character_log_probabilities: Mapping[str, float],
    mitigation: float,
    linked: bool,
    neighbour_shares: Mapping[str, float],
) -> np.ndarray:
    """``(len(CATEGORIES), len(FEATURES))`` for one message. ``evidence`` is the identifier
    and rule evidence at full weight; ``margins`` each category's exemplar margin;
    ``probabilities`` the classifier's and ``character_log_probabilities`` the character
    model's log probabilities, by class name (``ordinary`` included); ``neighbour_shares``
    each class's share of the nearest training messages, by class name."""
    out = np.zeros((len(CATEGORIES), len(FEATURES)), dtype=np.float64)
    ordinary = max(float(probabilities.get("ordinary", 1.0)), _TINY)
    char_ordinary = float(character_log_probabilities.get("ordinary", 0.0))
    for i, category in enumerate(CATEGORIES):
        mine = [e for e in evidence if e.category is category]
        identifiable = category is Category.PATIENT_IDENTIFIABLE
        out[i] = (
            max((e.weight for e in mine if not e.strong), default=0.0),
            max((e.weight for e in mine if e.strong), default=0.0),
            jigsaw.weight if identifiable and jigsaw is not None else 0.0,
            margins.get(category, 0.0),
            np.log(max(float(probabilities.get(category.value, 0.0)), _TINY)) - np.log(ordinary),
            float(character_log_probabilities.get(category.value, char_ordinary)) - char_ordinary,
            mitigation,
            float(linked) if identifiable else 0.0,
            float(neighbour_shares.get(category.value, 0.0)),
        )
    return out


@dataclass(frozen=True)
class LearnedRisk:
    """The combiner's verdict on one message: the most likely category, the risk (one
    minus the probability of ordinary) and the threshold it was held to."""

    category: Category
    risk: float
    threshold: float

    @property
    def flagged(self) -> bool:
        return self.risk >= self.threshold


@dataclass(frozen=True)
class EvidenceCombiner:
    """Standardise each feature (``mean``, ``scale``), weigh (``weights``, shared by the
    categories), add the category's ``bias``; ordinary's logit is 0."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    thresholds: Mapping[str, float]

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """``(..., 1 + len(CATEGORIES))``: ordinary first, then the categories in order,
        for features shaped ``(..., len(CATEGORIES), len(FEATURES))``."""
        logits = ((features - self.mean) / self.scale) @ self.weights + self.bias
        logits = np.concatenate([np.zeros((*logits.shape[:-1], 1)), logits], axis=-1)
        logits -= logits.max(axis=-1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=-1, keepdims=True)

    def judge(self, features: np.ndarray, sensitivity: str = "normal") -> LearnedRisk:
        p = self.probabilities(features)
        best = int(np.argmax(p[1:]))
        threshold = self.thresholds.get(sensitivity, self.thresholds["normal"])
        return LearnedRisk(CATEGORIES[best], float(1.0 - p[0]), float(threshold))

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(FEATURES),
            "categories": [c.value for c in CATEGORIES],
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "weights": [round(float(v), 6) for v in self.weights],
            "bias": [round(float(v), 6) for v in self.bias],
            "thresholds": {k: round(float(v), 6) for k, v in self.thresholds.items()},
        }


def combiner_from_json(data: Mapping[str, object], where: str = COMBINER_FILE) -> EvidenceCombiner:
    """An :class:`EvidenceCombiner` from ``to_json``'s fields; a mismatch raises
    :class:`CombinerFileError` naming ``where``."""
    try:
        if list(data["features"]) != list(FEATURES):  # type: ignore[call-overload]
            raise ValueError(f"features {data['features']} are not {list(FEATURES)}")
        if list(data["categories"]) != [c.value for c in CATEGORIES]:  # type: ignore[call-overload]
            raise ValueError("categories do not match this version's")
        arrays = {k: np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "weights", "bias")}
        thresholds = {str(k): float(v) for k, v in dict(data["thresholds"]).items()}  # type: ignore[call-overload]
    except (KeyError, TypeError, ValueError) as exc:
        raise CombinerFileError(f"{where}: {exc}; {REMEDY}") from None
    sizes = {"mean": len(FEATURES), "scale": len(FEATURES), "weights": len(FEATURES), "bias": len(CATEGORIES)}
    for key, size in sizes.items():
        if arrays[key].shape != (size,) or not np.all(np.isfinite(arrays[key])):
            raise CombinerFileError(f"{where}: {key!r} must be {size} finite numbers; {REMEDY}")
    if np.any(arrays["scale"] <= 0) or "normal" not in thresholds:
        raise CombinerFileError(f"{where}: scales must be positive and a 'normal' threshold given; {REMEDY}")
    return EvidenceCombiner(arrays["mean"], arrays["scale"], arrays["weights"], arrays["bias"], thresholds)


def load_combiner(folder: Path) -> EvidenceCombiner | None:
    """The combiner in ``folder``, or None when there is none (screening then uses the
    hand-set policy alone)."""
    path = folder / COMBINER_FILE
    if not path.exists():
        return None
    return combiner_from_json(read_json_object(path, CombinerFileError, REMEDY), str(path))
