"""Database URLs: accept what users type, hide passwords when showing them.

Only SQLite and PostgreSQL (through psycopg 3) are supported. ``postgres://`` and
``postgresql://`` are rewritten to ``postgresql+psycopg://`` so users can paste the URL
their database provider gives them.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.errors import ConfigError

_PG_PREFIXES = ("postgres://", "postgresql://")


def normalise_url(url: str) -> URL:
    """Parse ``url`` into a SQLAlchemy URL for a supported backend, or raise ConfigError."""
    text = url.strip()
    for prefix in _PG_PREFIXES:
        if text.startswith(prefix):
            text = "postgresql+psycopg://" + text[len(prefix) :]
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise ConfigError(
            f"database URL '{_mask_unparsed(text)}' is not a valid URL "
            "(expected sqlite:///PATH or postgresql://USER@HOST:PORT/DB)"
        ) from None
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise ConfigError(
            f"database URL '{safe_url(parsed)}' uses '{parsed.drivername}'; "
            "gmcbot supports sqlite:/// and postgresql:// (psycopg 3) only"
        )
    return parsed


def safe_url(url: URL | str) -> str:
    """The URL as text with any password replaced by ``***`` (for messages and logs)."""
    if isinstance(url, str):
        try:
            parsed = make_url(url)
        except ArgumentError:
            return _mask_unparsed(url)
        return parsed.render_as_string(hide_password=True)
    return url.render_as_string(hide_password=True)


def _mask_unparsed(text: str) -> str:
    """Best-effort password masking for a URL SQLAlchemy could not parse."""
    scheme, sep, rest = text.partition("://")
    if not sep or "@" not in rest:
        return text
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else text


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL; None for PostgreSQL and in-memory SQLite."""
    if not url.drivername.startswith("sqlite"):
        return None
    if not url.database or url.database == ":memory:":
        return None
    return Path(url.database)
