"""Every file of the embedding model is checked against the shipped hash list before it
is loaded, in the packaged folder and in a configured copy alike; an altered or missing
file is refused with an error naming it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.errors import ModelUnavailable
from index.embedders import (
    HASH_LIST,
    MINILM_WEIGHTS_SHA256,
    ONNX_SOURCE_FILES,
    known_model_hashes,
    locate_minilm,
    verify_minilm,
    verify_model_files,
)


def test_the_hash_list_covers_every_file_the_model_loads() -> None:
    known = known_model_hashes()
    assert known["model.safetensors"] == MINILM_WEIGHTS_SHA256
    assert set(ONNX_SOURCE_FILES) <= set(known)
    packaged = locate_minilm()
    on_disk = {str(p.relative_to(packaged)) for p in packaged.rglob("*") if p.is_file()}
    assert set(known) == on_disk - {"README.md", ".gitattributes"}
    verify_model_files(packaged)  # the installed package matches


@pytest.fixture
def copied_model(tmp_path: Path) -> Path:
    """A configured copy of the model folder (the weights linked, not copied)."""
    source = locate_minilm()
    target = tmp_path / "model"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("model.safetensors"))
    (target / "model.safetensors").symlink_to(source / "model.safetensors")
    return target


@pytest.mark.parametrize("name", ["tokenizer.json", "1_Pooling/config.json", "vocab.txt"])
def test_an_altered_file_in_a_configured_folder_is_refused_by_name(copied_model: Path, name: str) -> None:
    verify_minilm(copied_model, known=False)
    with (copied_model / name).open("a", encoding="utf-8") as fh:
        fh.write(" ")
    with pytest.raises(
        ModelUnavailable, match=rf"{name.replace('/', '.')}.*does not match its SHA-256 in {HASH_LIST.name}"
    ):
        verify_minilm(copied_model, known=False)


def test_a_missing_file_is_refused_by_name(copied_model: Path) -> None:
    (copied_model / "tokenizer.json").unlink()
    with pytest.raises(ModelUnavailable, match="model file missing: .*tokenizer.json"):
        verify_model_files(copied_model, ONNX_SOURCE_FILES)
