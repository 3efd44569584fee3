"""A low-rank weight delta that tunes all-MiniLM-L6-v2 for one task (LoRA, merged at load).

Screening runs on MiniLM tuned for the conduct categories (``make train``,
:mod:`bot.screening.encoder_training`); answering runs on the packaged weights as they are.
The tuning is kept as a delta, not as a second copy of the model: for each tuned linear
layer ``W`` (named by its path in the Hugging Face ``BertModel``, for example
``encoder.layer.0.attention.self.query``) two small matrices ``A`` (rank x in) and ``B``
(out x rank), and the merged layer is ``W + scale * B @ A``. That is about 1 MB against the
model's 90 MB, so it is committed with the data it was trained on.

A delta folder holds ``delta.npz`` (the matrices, float32) and ``delta.json`` (rank, scale,
the SHA-256 of ``delta.npz`` and of the base weights it was trained from, and how it was
made). :func:`load_delta` refuses a file whose checksum does not match its manifest, or a
delta made for other base weights. :attr:`Delta.tag` (``<name>-<sha256[:12]>``) goes into
the embedder id, so an index, an exemplar cache or a classifier made with one delta is
never used with another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.checked_files import read_checked, sha256_of
from index.errors import ModelUnavailable

DELTA_FILE = "delta.npz"
MANIFEST_FILE = "delta.json"


@dataclass(frozen=True)
class Delta:
    """``layers`` maps a linear layer's path to its ``(A, B)``; the merged weight is
    ``W + scale * B @ A``."""

    name: str
    sha256: str
    base_sha256: str
    scale: float
    layers: dict[str, tuple[np.ndarray, np.ndarray]] = field(repr=False)

    @property
    def tag(self) -> str:
        return f"{self.name}-{self.sha256[:12]}"

    def merge_into(self, model: Any) -> None:
        """Add the delta to ``model`` (a torch ``BertModel``) in place."""
        import torch

        with torch.no_grad():
            for path, (a, b) in self.layers.items():
                linear = model.get_submodule(path)
                update = torch.from_numpy(b @ a) * self.scale
                if tuple(update.shape) != tuple(linear.weight.shape):
                    raise ModelUnavailable(f"delta layer {path}: shape {tuple(update.shape)} does not fit the model")
                linear.weight += update.to(linear.weight.dtype)


def save_delta(
    folder: Path,
    name: str,
    layers: dict[str, tuple[np.ndarray, np.ndarray]],
    scale: float,
    base_sha256: str,
    made: dict[str, object],
) -> dict[str, object]:
    """Write ``delta.npz`` and its manifest into ``folder``; returns the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for path, (a, b) in sorted(layers.items()):
        arrays[f"{path}|A"] = np.asarray(a, dtype=np.float32)
        arrays[f"{path}|B"] = np.asarray(b, dtype=np.float32)
    target = folder / DELTA_FILE
    np.savez(target, **arrays)  # type: ignore[arg-type]
    manifest: dict[str, object] = {
        "name": name,
        "scale": scale,
        "rank": int(next(iter(layers.values()))[0].shape[0]) if layers else 0,
        "layers": len(layers),
        "base_sha256": base_sha256,
        **made,
        "sha256": sha256_of(target),
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def load_delta(folder: Path, base_sha256: str) -> Delta | None:
    """The delta in ``folder``, or None when the folder holds none. A damaged file, one that
    does not match its manifest, or one made for other base weights raises
    :class:`~index.errors.ModelUnavailable` naming it and what to do."""
    delta_path = folder / DELTA_FILE
    rebuild = "run `make train` to rebuild it, or restore it from git"
    checked = read_checked(folder / MANIFEST_FILE, delta_path, ModelUnavailable, rebuild)
    if checked is None:
        return None
    manifest, digest = checked
    if manifest.get("base_sha256") != base_sha256:
        raise ModelUnavailable(
            f"{delta_path}: made for other base weights than the installed model; {rebuild} for this model"
        )
    layers: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    try:
        with np.load(delta_path, allow_pickle=False) as data:
            for key in data.files:
                path, part = key.rsplit("|", 1)
                a, b = layers.get(path, (np.zeros(0), np.zeros(0)))
                layers[path] = (np.asarray(data[key]), b) if part == "A" else (a, np.asarray(data[key]))
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(f"{delta_path}: cannot be read ({exc}); {rebuild}") from None
    return Delta(str(manifest.get("name", "tuned")), digest, base_sha256, float(manifest["scale"]), layers)
