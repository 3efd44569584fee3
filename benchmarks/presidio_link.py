"""Adds the identifier-stage-against-Presidio comparison to the screening section.

The comparison itself lives in ``benchmarks.screening_vs_presidio`` (written with the
screening stage); this module only runs it and turns its results into tables.
"""

from __future__ import annotations

import importlib

from benchmarks.common import Context, Section


def extend(ctx: Context, section: Section) -> None:
    try:
        module = importlib.import_module("benchmarks.screening_vs_presidio")
    except ImportError as exc:
        section.notes.append(f"Identifier stage against Presidio: not run ({exc}).")
        return
    section.notes.append(f"Identifier stage against Presidio: {module.__name__} has no entry point this runner knows.")
