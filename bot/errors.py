"""Errors a user can cause. Each carries a message that says what to do next; the CLI
prints it without a traceback and exits non-zero."""

from __future__ import annotations

from index.errors import ConfigError, GmcbotError, ModelUnavailable

__all__ = ["ConfigError", "CorpusError", "GmcbotError", "IndexError_", "ModelUnavailable", "StoreUnavailable"]


class CorpusError(GmcbotError):
    """The corpus has problems. ``problems`` lists ``file:line: message`` strings."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        head = f"the guidance corpus has {len(problems)} problem(s):"
        super().__init__("\n".join([head, *("  " + p for p in problems)]))


class IndexError_(GmcbotError):
    """An index folder is corrupt or does not match the corpus and model."""


class StoreUnavailable(GmcbotError):
    """The database cannot be reached."""
