"""Back-scan checkpoints kept as small JSON files (``<data_dir>/scans/<key>.json``), and
the last message id seen per channel for a catch-up after a restart (:class:`LastSeen`).

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
import threading
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


class LastSeen:
    """The last message id seen in each channel, kept in one small JSON file
    (``{"channels": {"<channel id>": <message id>}}``) for a platform's catch-up after a
    restart (``adapters/discord/catchup.py``).

    Contract: ids only, never text or user ids; a position only moves forward
    (:meth:`advance` ignores an older id); each change is written at once, atomically (a
    temporary file flushed to disk, then renamed over the old one), so a crash leaves the
    previous file or the new one whole. A file that can't be read counts as empty (each
    channel then starts from now, not from its whole history). Thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: dict[str, int] = self._load()

    def _load(self) -> dict[str, int]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {str(k): int(v) for k, v in dict(data["channels"]).items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.warning(
                "last-seen file %s not readable (%s); channels start from now", self.path.name, type(exc).__name__
            )
            return {}

    def get(self, channel: str) -> int | None:
        """The last id seen in ``channel``, or None if it was never seen."""
        with self._lock:
            return self._seen.get(channel)

    def advance(self, channel: str, position: int) -> bool:
        """Record ``position`` for ``channel`` if it is newer than the one kept; True if
        it was written."""
        with self._lock:
            if position <= self._seen.get(channel, -1):
                return False
            self._seen[channel] = position
            self._write()
            return True

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as out:
            json.dump({"channels": {k: self._seen[k] for k in sorted(self._seen)}}, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)


def last_seen_path(data_dir: Path, platform: str) -> Path:
    """Where a platform's :class:`LastSeen` file lives: ``<data_dir>/catchup/<platform>.json``."""
    return data_dir / "catchup" / f"{platform}.json"
