"""Errors a user can cause. Each carries a message that says what to do next; the CLI
prints it without a traceback and exits non-zero."""

from __future__ import annotations


class GmcbotError(Exception):
    """Base class for errors shown to the user as one clear message."""

    exit_code = 1


class ConfigError(GmcbotError):
    """A setting, config file or environment variable is wrong."""

    exit_code = 2


class CorpusError(GmcbotError):
    """The corpus has problems. ``problems`` lists ``file:line: message`` strings."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        head = f"the guidance corpus has {len(problems)} problem(s):"
        super().__init__("\n".join([head, *("  " + p for p in problems)]))


class ModelUnavailable(GmcbotError):
    """The embedding model package is missing or its files are damaged."""


class IndexError_(GmcbotError):
    """An index folder is corrupt or does not match the corpus and model."""


class StoreUnavailable(GmcbotError):
    """The database cannot be reached."""
