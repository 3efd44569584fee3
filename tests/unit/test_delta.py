"""The tuning delta (index.delta): written with its checksum, refused when damaged or made
for other weights, and merged as ``W + scale * B @ A``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.delta import DELTA_FILE, MANIFEST_FILE, load_delta, save_delta
from index.errors import ModelUnavailable

BASE = "ab" * 32


def _layers(rank: int = 2) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    return {
        "inner.proj": (rng.normal(size=(rank, 4)).astype(np.float32), rng.normal(size=(3, rank)).astype(np.float32))
    }


def test_round_trip_keeps_matrices_scale_and_names_the_delta(tmp_path: Path) -> None:
    layers = _layers()
    manifest = save_delta(tmp_path, "screen", layers, 8.0, BASE, {"seed": 1})
    delta = load_delta(tmp_path, BASE)
    assert delta is not None
    assert manifest["rank"] == 2 and manifest["seed"] == 1
    assert delta.scale == 8.0
    assert delta.tag == f"screen-{manifest['sha256'][:12]}"  # type: ignore[index]
    np.testing.assert_array_equal(delta.layers["inner.proj"][0], layers["inner.proj"][0])
    np.testing.assert_array_equal(delta.layers["inner.proj"][1], layers["inner.proj"][1])


def test_no_files_means_no_delta(tmp_path: Path) -> None:
    assert load_delta(tmp_path, BASE) is None


def test_a_changed_file_is_refused_naming_it(tmp_path: Path) -> None:
    save_delta(tmp_path, "screen", _layers(), 1.0, BASE, {})
    data = bytearray((tmp_path / DELTA_FILE).read_bytes())
    data[-10] ^= 0xFF
    (tmp_path / DELTA_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelUnavailable, match=r"delta\.npz.*does not match.*make train"):
        load_delta(tmp_path, BASE)


def test_a_delta_for_other_weights_is_refused(tmp_path: Path) -> None:
    save_delta(tmp_path, "screen", _layers(), 1.0, BASE, {})
    with pytest.raises(ModelUnavailable, match="other base weights"):
        load_delta(tmp_path, "cd" * 32)


def test_a_missing_matrix_file_or_broken_manifest_is_refused(tmp_path: Path) -> None:
    save_delta(tmp_path, "screen", _layers(), 1.0, BASE, {})
    (tmp_path / MANIFEST_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelUnavailable, match="cannot be read"):
        load_delta(tmp_path, BASE)
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({"sha256": "x", "scale": 1}), encoding="utf-8")
    (tmp_path / DELTA_FILE).unlink()
    with pytest.raises(ModelUnavailable, match="missing"):
        load_delta(tmp_path, BASE)


def test_merge_adds_scaled_low_rank_product() -> None:
    torch = pytest.importorskip("torch")
    model = torch.nn.Module()
    model.inner = torch.nn.Module()
    model.inner.proj = torch.nn.Linear(4, 3)
    before = model.inner.proj.weight.detach().clone().numpy()
    layers = _layers()
    from index.delta import Delta

    Delta("screen", "0" * 64, BASE, 0.5, layers).merge_into(model)
    a, b = layers["inner.proj"]
    np.testing.assert_allclose(model.inner.proj.weight.detach().numpy(), before + 0.5 * (b @ a), rtol=1e-5, atol=1e-6)


def test_a_delta_that_does_not_fit_the_model_is_refused() -> None:
    torch = pytest.importorskip("torch")
    model = torch.nn.Module()
    model.proj = torch.nn.Linear(5, 3)
    from index.delta import Delta

    with pytest.raises(ModelUnavailable, match="does not fit"):
        Delta("screen", "0" * 64, BASE, 1.0, {"proj": _layers()["inner.proj"]}).merge_into(model)
