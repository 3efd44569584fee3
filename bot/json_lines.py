"""JSON Lines files read line by line, each line's place kept so that an error can name it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def json_objects(path: Path) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """Each non-blank line of the UTF-8 file ``path``: where it is (``"PATH:LINE"``, to name
    it in an error) and the JSON object it holds, or None when it holds none (not JSON, or
    JSON that is not an object)."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            value = None
        yield f"{path}:{n}", value if isinstance(value, dict) else None
