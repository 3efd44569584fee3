"""Channel histories for the back-scan tests: harmless messages with planted risks.

Planted risks are generated staff messages about patients (:mod:`tests.generated`), so
screening must flag each one; the harmless ones each carry a marker word
(``zq0042x``) so a test can prove that nothing of them was kept. :func:`run_cli` runs
``gmcbot`` in this process (the real CLI, settings from the environment) and gives back
its exit code and everything it printed or logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from adapters.cli import main
from tests.generated import Generated, generate

HARMLESS = (
    "Reminder {m}: the team meeting moved to 3pm in the seminar room",
    "Anyone free to swap a late shift on Saturday? {m}",
    "The coffee machine on level 3 is fixed {m}",
    "Teaching this week is on sepsis recognition, slides on the shared drive {m}",
    "Parking permits renew next month, see the estates page {m}",
)


def marker(i: int) -> str:
    return f"zq{i:04d}x"


def harmless(i: int) -> str:
    return HARMLESS[i % len(HARMLESS)].format(m=marker(i))


def planted(count: int) -> list[Generated]:
    """``count`` generated messages about patients (each must be flagged)."""
    out: list[Generated] = []
    seed = 0
    while len(out) < count:
        g = generate(10_000 + seed)
        seed += 1
        if g.about_patient:
            out.append(g)
    return out


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def everything(self) -> str:
        return self.out + "\n" + self.err


@contextmanager
def kept_logging() -> Iterator[None]:
    """The CLI sets up logging for itself; put the test's logging back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    """``gmcbot -v ARGS`` in this process: exit code, stdout, stderr (logs at DEBUG included)."""
    capsys.readouterr()
    with kept_logging():
        code = main(["-v", *args])
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)
