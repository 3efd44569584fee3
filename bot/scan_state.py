"""Back-scan checkpoints kept as small JSON files (``<data_dir>/scans/<key>.json``).

Each file holds one :class:`bot.backscan.ScanState`: the job's key, platform, channel id,
time range, resume position (a message id or timestamp) and counts; never message text
or user ids. Writes are atomic (a temporary file renamed over the old one), so an
interrupted run leaves the previous checkpoint whole. A file that can't be read counts as
no checkpoint (the scan starts again from ``since``; flags are not recorded twice).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path

from bot.backscan import ScanState

log = logging.getLogger(__name__)


class FileCheckpoints:
    """:class:`bot.backscan.Checkpoints` in a folder of JSON files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError("a checkpoint key is letters and digits only")
        return self.folder / f"{key}.json"

    def load(self, key: str) -> ScanState | None:
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            fields = {f.name for f in dataclasses.fields(ScanState)}
            state = ScanState(**{k: v for k, v in data.items() if k in fields})
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as exc:
            log.warning("back-scan checkpoint %s not readable (%s); starting again", path.name, type(exc).__name__)
            return None
        return state if state.key == key else None

    def save(self, state: ScanState) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(state.key)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(dataclasses.asdict(state), sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)

    def clear(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def checkpoint_folder(data_dir: Path) -> Path:
    return data_dir / "scans"
