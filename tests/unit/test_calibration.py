"""Screening's sensitivity thresholds, calibrated on the held-out message sets
(bot/screening/calibration.py): the arithmetic, the errors, and that the shipped thresholds
are the ones calibrated on the sets as they are now."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from bot.screening.calibration import (
    CLASSIFIER_DIR,
    REPO,
    CalibrationError,
    calibrate,
    calibration_files,
    rates,
    read_set,
    threshold_for,
    thresholds_for,
    write_calibration,
)
from bot.screening.combiner import COMBINER_FILE, load_combiner

RISK = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
RISKY = np.array([True, True, True, True, False, True, False, False, False, False])


def test_a_recall_target_takes_the_largest_threshold_that_meets_it() -> None:
    # Five risky messages: 0.95 0.9 0.8 0.7 0.5. Four of five (0.8) are caught from 0.7 down.
    assert threshold_for(RISK, RISKY, "recall", 0.8) == 0.7
    assert rates(RISK, RISKY, 0.7)["recall"] == 0.8
    assert rates(RISK, RISKY, np.nextafter(0.7, 1.0))["recall"] < 0.8
    assert threshold_for(RISK, RISKY, "recall", 1.0) == 0.5


def test_a_false_alarm_target_takes_the_smallest_threshold_that_meets_it() -> None:
    # Five ordinary messages: 0.6 0.4 0.3 0.2 0.1. At most one of five (0.2) may reach it.
    t = threshold_for(RISK, RISKY, "false_alarms", 0.2)
    assert 0.4 < t <= np.nextafter(0.4, 1.0)
    assert rates(RISK, RISKY, t)["false_alarms"] == 0.2
    assert rates(RISK, RISKY, 0.4)["false_alarms"] > 0.2
    none = threshold_for(RISK, RISKY, "false_alarms", 0.0)
    assert rates(RISK, RISKY, none)["false_alarms"] == 0.0 and none > 0.6


def test_every_sensitivity_gets_a_threshold_and_they_are_ordered() -> None:
    rng = np.random.default_rng(7)
    risky = rng.random(400) < 0.5
    risk = np.clip(np.where(risky, rng.normal(0.85, 0.1, 400), rng.normal(0.4, 0.2, 400)), 0, 1)
    found = thresholds_for(risk, risky)
    assert set(found) == {"low", "normal", "high"}
    assert found["high"] <= found["normal"] <= found["low"]
    assert rates(risk, risky, found["normal"])["recall"] >= 0.93
    assert rates(risk, risky, found["low"])["false_alarms"] <= 0.02


def test_bad_targets_and_one_sided_sets_are_refused() -> None:
    with pytest.raises(CalibrationError, match="unknown measure"):
        threshold_for(RISK, RISKY, "precision", 0.9)
    with pytest.raises(CalibrationError, match="both risky and ordinary"):
        threshold_for(RISK, np.ones(len(RISK), dtype=bool), "recall", 0.9)


def test_a_broken_set_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "messages_x.jsonl"
    path.write_text('{"text": "fine", "risky": false}\n{"text": "no label"}\n', encoding="utf-8")
    with pytest.raises(CalibrationError, match=r"messages_x\.jsonl:2"):
        read_set(path)
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(CalibrationError, match="holds no message"):
        read_set(path)
    with pytest.raises(CalibrationError, match="matches"):
        calibration_files(tmp_path, ("nothing_*.jsonl",))


def test_calibrate_records_each_set_and_writes_beside_the_weights(tmp_path: Path) -> None:
    sets = tmp_path / "sets"
    sets.mkdir()
    lines = [{"text": f"m{i}", "risky": bool(r)} for i, r in enumerate(RISKY)]
    (sets / "a.jsonl").write_text("\n".join(json.dumps(x) for x in lines[:5]) + "\n", encoding="utf-8")
    (sets / "b.jsonl").write_text("\n".join(json.dumps(x) for x in lines[5:]) + "\n", encoding="utf-8")
    by_text = {f"m{i}": float(r) for i, r in enumerate(RISK)}
    result = calibrate(calibration_files(tmp_path, ("sets/*.jsonl",)), lambda t: [by_text[x] for x in t], tmp_path)
    assert [s["path"] for s in result["calibration"]["sets"]] == ["sets/a.jsonl", "sets/b.jsonl"]
    assert result["calibration"]["lines"] == 10 and result["calibration"]["risky"] == 5
    assert result["thresholds"] == thresholds_for(RISK, RISKY)
    shipped = json.loads((CLASSIFIER_DIR / COMBINER_FILE).read_text(encoding="utf-8"))
    shipped.pop("training_thresholds", None)
    (tmp_path / COMBINER_FILE).write_text(json.dumps(shipped), encoding="utf-8")
    written = write_calibration(result, tmp_path)
    assert written["training_thresholds"] == shipped["thresholds"]
    combiner = load_combiner(tmp_path)
    assert combiner is not None and combiner.thresholds == result["thresholds"]


def test_the_shipped_thresholds_were_calibrated_on_the_sets_as_they_are() -> None:
    record = json.loads((CLASSIFIER_DIR / COMBINER_FILE).read_text(encoding="utf-8"))
    hint = "run `make calibrate`"
    assert "calibration" in record, f"combiner.json holds thresholds from training only: {hint}"
    calibration = record["calibration"]
    for entry in calibration["sets"]:
        path = REPO / entry["path"]
        assert path.is_file(), f"{entry['path']} is gone: {hint}"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], f"{entry['path']} changed: {hint}"
    figures = calibration["figures"]
    assert figures["normal"]["recall"] >= calibration["targets"]["normal"]["target"]
    assert figures["low"]["false_alarms"] <= calibration["targets"]["low"]["target"]
    assert record["thresholds"]["high"] <= record["thresholds"]["normal"] <= record["thresholds"]["low"]
