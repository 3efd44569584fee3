"""A data file kept beside a JSON manifest that records its SHA-256 (trained weights, tuning
deltas): read both, and refuse a pair that disagrees, with an error naming the file and
what to do."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_json_object(path: Path, error: type[Exception], remedy: str) -> dict[str, Any]:
    """The JSON object in ``path``; a file that cannot be read or holds something else
    raises ``error`` naming it, ending in ``remedy``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise error(f"{path}: cannot be read ({exc}); {remedy}") from None
    if not isinstance(data, dict):
        raise error(f"{path}: not a JSON object; {remedy}")
    return data


def read_checked(
    manifest_path: Path, data_path: Path, error: type[Exception], remedy: str
) -> tuple[dict[str, Any], str] | None:
    """``(manifest, SHA-256 of the data file)`` when the data file matches the manifest's
    ``sha256``; None when neither file exists. A manifest that cannot be read, a missing
    data file or a checksum mismatch raises ``error`` naming the file, ending in ``remedy``
    (for example "run `make train` to rebuild it")."""
    if not manifest_path.is_file() and not data_path.is_file():
        return None
    manifest = read_json_object(manifest_path, error, remedy)
    if not data_path.is_file():
        raise error(f"{data_path}: missing; {remedy}")
    digest = sha256_of(data_path)
    if digest != manifest.get("sha256"):
        raise error(
            f"{data_path}: SHA-256 {digest[:12]}... does not match {manifest_path.name}; "
            f"the file is damaged or stale: {remedy}"
        )
    return manifest, digest
