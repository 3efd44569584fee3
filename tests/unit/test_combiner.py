"""The learned combiner (issue 13): its features, its file, how the policy follows it, and
that the shipped weights were fitted on the data and rules now in the repository."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.corpus import load_corpus
from bot.screening.combiner import (
    CATEGORIES,
    COMBINER_FILE,
    FEATURES,
    CombinerFileError,
    EvidenceCombiner,
    LearnedRisk,
    combiner_features,
    combiner_from_json,
    load_combiner,
)
from bot.screening.combiner_training import evidence_digest, fit, left_out_risk
from bot.screening.data import load_screening_data
from bot.screening.evidence import Evidence
from bot.screening.policy import FlagPolicy
from bot.screening.training import CLASSIFIER_DIR, data_digest, read_training
from bot.types import Category
from guidance_corpus import SCREENING_DIR

IDENT = Category.PATIENT_IDENTIFIABLE
COI = Category.CONFLICT_OF_INTEREST
COLUMN = {name: i for i, name in enumerate(FEATURES)}


def _evidence(category: Category, weight: float, strong: bool = False, source: str = "r") -> Evidence:
    return Evidence(category, weight, ("gmc-gmp-2024:94",), f"reason {source}", source, strong)


def test_features_take_each_kind_of_evidence_in_its_own_column() -> None:
    evidence = [_evidence(COI, 1.5), _evidence(COI, 2.5), _evidence(IDENT, 4.0, strong=True)]
    probs = {"ordinary": 0.5, COI.value: 0.25}
    char_log_probs = {"ordinary": -2.0, COI.value: -0.5}
    near = {"ordinary": 0.6, COI.value: 0.4}
    x = combiner_features(evidence, None, {COI: 0.07}, probs, char_log_probs, 0.8, linked=True, neighbour_shares=near)
    assert x.shape == (len(CATEGORIES), len(FEATURES))
    coi, ident = x[CATEGORIES.index(COI)], x[CATEGORIES.index(IDENT)]
    assert coi[COLUMN["rule"]] == 2.5 and coi[COLUMN["strong"]] == 0.0
    assert ident[COLUMN["strong"]] == 4.0 and ident[COLUMN["rule"]] == 0.0
    assert coi[COLUMN["exemplar_margin"]] == pytest.approx(0.07)
    assert coi[COLUMN["classifier_log_odds"]] == pytest.approx(np.log(0.5))
    assert coi[COLUMN["character_log_odds"]] == pytest.approx(1.5)
    assert ident[COLUMN["character_log_odds"]] == 0.0  # a class the character model does not give: even odds
    assert np.all(x[:, COLUMN["mitigation"]] == 0.8)
    # The patient link and the jigsaw belong to patient-identifiable only.
    assert ident[COLUMN["patient_link"]] == 1.0 and coi[COLUMN["patient_link"]] == 0.0
    assert coi[COLUMN["neighbour_share"]] == pytest.approx(0.4) and ident[COLUMN["neighbour_share"]] == 0.0


def _toy(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Messages whose category shows in the classifier column, and whose mitigation hides it."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(CATEGORIES) + 1, n)
    x = rng.normal(0, 1, (n, len(CATEGORIES), len(FEATURES)))
    for i, label in enumerate(y):
        if label:
            x[i, label - 1, COLUMN["classifier_log_odds"]] += 3.0
    return x, y, [f"w{i % 4}" for i in range(n)]


def test_fitted_weights_learn_which_evidence_predicts_risk() -> None:
    x, y, groups = _toy()
    combiner = fit(x, y)
    assert combiner.weights[COLUMN["classifier_log_odds"]] > 1.0
    risk = left_out_risk(x, y, groups)
    assert risk[y != 0].mean() > risk[y == 0].mean() + 0.3


def test_judge_names_the_most_likely_category_and_holds_it_to_the_sensitivity() -> None:
    weights = np.zeros(len(FEATURES))
    weights[COLUMN["classifier_log_odds"]] = 1.0
    combiner = EvidenceCombiner(
        np.zeros(len(FEATURES)),
        np.ones(len(FEATURES)),
        weights,
        np.full(len(CATEGORIES), -3.0),
        {"low": 0.5, "normal": 0.35, "high": 0.2},
    )
    x = np.zeros((len(CATEGORIES), len(FEATURES)))
    x[CATEGORIES.index(COI), COLUMN["classifier_log_odds"]] = 2.0
    normal, low = combiner.judge(x), combiner.judge(x, "low")
    assert normal.category is COI and normal.risk == low.risk == pytest.approx(0.4, abs=0.01)
    assert normal.flagged and not low.flagged
    assert combiner_from_json(combiner.to_json()).judge(x).risk == pytest.approx(normal.risk)


def test_a_damaged_file_is_refused_naming_it(tmp_path: Path) -> None:
    assert load_combiner(tmp_path) is None
    (tmp_path / COMBINER_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(CombinerFileError, match=COMBINER_FILE):
        load_combiner(tmp_path)
    good = json.loads((CLASSIFIER_DIR / COMBINER_FILE).read_text(encoding="utf-8"))
    (tmp_path / COMBINER_FILE).write_text(json.dumps({**good, "weights": [1.0, 2.0]}), encoding="utf-8")
    with pytest.raises(CombinerFileError, match="weights"):
        load_combiner(tmp_path)


def test_the_policy_follows_the_combiner_but_never_lets_an_identifier_through() -> None:
    policy = FlagPolicy(load_screening_data().policy, load_corpus())
    rule = _evidence(COI, 3.0)  # enough for the hand-set policy on its own
    quiet = LearnedRisk(COI, 0.2, 0.7)
    assert policy.decide([rule], "x", [], learned=None) is not None
    assert policy.decide([rule], "x", [], learned=quiet) is None
    learned = LearnedRisk(COI, 0.9, 0.7)
    flag = policy.decide([rule, _evidence(COI, 2.4, True, "combiner:coi")], "x", [], learned=learned)
    assert flag is not None and flag.category is COI
    identifier = _evidence(IDENT, 4.0, strong=True, source="identifier:nhs-number")
    flag = policy.decide([rule, identifier], "x", [], learned=quiet)
    assert flag is not None and flag.category is IDENT


def test_the_shipped_combiner_was_fitted_on_the_data_and_rules_in_the_repository() -> None:
    record = json.loads((CLASSIFIER_DIR / COMBINER_FILE).read_text(encoding="utf-8"))
    hint = "run `python -m bot.screening.training --combiner-only` (or make train)"
    assert record["data_sha256"] == data_digest(read_training()), f"the training messages changed: {hint}"
    assert record["evidence_sha256"] == evidence_digest(SCREENING_DIR), f"the screening rules or data changed: {hint}"
    left_out = record["left_out_by_writer"]
    assert left_out["normal"]["recall"] > left_out["hand_set_policy"]["recall"]
    chars = json.loads((CLASSIFIER_DIR / "chars.json").read_text(encoding="utf-8"))
    assert chars["data_sha256"] == record["data_sha256"], f"the character model is stale: {hint}"
