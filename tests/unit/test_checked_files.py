"""The classifier's files are checked the way the tuning delta's are (index.checked_files)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.screening.classifier import ClassifierFileError, load_classifier
from guidance_corpus import SCREENING_DIR


def test_the_shipped_classifier_loads_and_a_changed_one_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "classifier"
    shutil.copytree(SCREENING_DIR / "classifier", folder)
    assert load_classifier(folder) is not None
    data = bytearray((folder / "model.npz").read_bytes())
    data[-20] ^= 0xFF
    (folder / "model.npz").write_bytes(bytes(data))
    with pytest.raises(ClassifierFileError, match=r"model\.npz: SHA-256 .* does not match model\.json.*make train"):
        load_classifier(folder)
    (folder / "model.npz").unlink()
    with pytest.raises(ClassifierFileError, match="missing"):
        load_classifier(folder)
    assert load_classifier(tmp_path / "empty") is None
