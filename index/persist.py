"""The index as a folder: ``vectors.faiss`` plus ``manifest.json``.

The manifest records the format version, embedder id, dimension, count, corpus hash,
package version, the paragraph id of every row and the SHA-256 of the FAISS file.
``open_or_build`` uses a folder only when all of these match; otherwise it rebuilds
and says why. A corrupt folder is never used silently.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.embedders import Embedder
from index.store import FaissIndex

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"


def package_version() -> str:
    try:
        from importlib.metadata import version

        return version("gmcbot")
    except Exception:  # noqa: BLE001 - running from a source tree without metadata
        return "0+source"


@dataclass(frozen=True)
class LoadedIndex:
    """A ready index: ``ids[row]`` is the paragraph id of each vector row."""

    index: FaissIndex
    ids: tuple[str, ...]
    rebuilt: bool
    reason: str


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_folder(folder: Path, embedder: Embedder, corpus_hash: str, ids: Sequence[str]) -> str | None:
    """Return None when the folder holds a usable index for this corpus and embedder,
    else the reason it cannot be used."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        return "no index yet"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"manifest unreadable ({exc})"
    expected = {
        "format_version": FORMAT_VERSION,
        "embedder_id": embedder.embedder_id,
        "dim": embedder.dim,
        "count": len(ids),
        "corpus_hash": corpus_hash,
    }
    for key, value in expected.items():
        if manifest.get(key) != value:
            return f"{key} changed ({manifest.get(key)!r} -> {value!r})"
    if manifest.get("ids") != list(ids):
        return "paragraph ids changed"
    vectors = folder / VECTORS
    if not vectors.is_file():
        return "vector file missing"
    if _sha256(vectors) != manifest.get("vectors_sha256"):
        return "vector file corrupt (checksum mismatch)"
    return None


def build(
    folder: Path,
    texts: Sequence[str],
    ids: Sequence[str],
    embedder: Embedder,
    corpus_hash: str,
    progress: bool = True,
    batch_size: int = 32,
) -> FaissIndex:
    """Embed ``texts`` (one per id) into a new index and write the folder atomically."""
    from tqdm import tqdm

    chunks: list[np.ndarray] = []
    bar = tqdm(
        total=len(texts), desc="Indexing guidance", unit="para", disable=not progress, file=sys.stderr, leave=False
    )
    for start in range(0, len(texts), batch_size):
        batch = texts[start : start + batch_size]
        chunks.append(embedder.encode(batch))
        bar.update(len(batch))
    bar.close()
    vectors = np.vstack(chunks) if chunks else np.zeros((0, embedder.dim), dtype=np.float32)
    index = FaissIndex.for_size(embedder.dim, len(texts))
    index.add(vectors)

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".index-", dir=folder.parent))
    try:
        index.save(tmp / VECTORS)
        manifest = {
            "format_version": FORMAT_VERSION,
            "embedder_id": embedder.embedder_id,
            "dim": embedder.dim,
            "count": len(ids),
            "corpus_hash": corpus_hash,
            "package_version": package_version(),
            "kind": "hnsw" if index.approximate else "exact",
            "vectors_sha256": _sha256(tmp / VECTORS),
            "ids": list(ids),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        old = None
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
            os.replace(folder, old)
        os.replace(tmp, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return index


def open_or_build(
    folder: Path,
    texts: Sequence[str],
    ids: Sequence[str],
    embedder: Embedder,
    corpus_hash: str,
    progress: bool = True,
    notify: Callable[[str], None] | None = None,
    force: bool = False,
) -> LoadedIndex:
    """Load the index in ``folder`` if it matches; otherwise rebuild it, calling
    ``notify`` with the reason (e.g. "Rebuilding the index: corpus_hash changed")."""
    reason = "rebuild requested" if force else check_folder(folder, embedder, corpus_hash, ids)
    if reason is None:
        try:
            index = FaissIndex.load(folder / VECTORS)
            if index.count == len(ids) and index.dim == embedder.dim:
                return LoadedIndex(index, tuple(ids), rebuilt=False, reason="")
            reason = "vector count or dimension does not match the manifest"
        except RuntimeError as exc:
            reason = f"vector file unreadable ({str(exc).splitlines()[0][:80]})"
    message = (
        f"Building the guidance index ({len(ids)} vectors) in {folder}"
        if reason == "no index yet"
        else f"Rebuilding the guidance index: {reason}"
    )
    log.info(message)
    if notify:
        notify(message)
    index = build(folder, texts, ids, embedder, corpus_hash, progress=progress)
    return LoadedIndex(index, tuple(ids), rebuilt=True, reason=reason)
