"""Fixtures for tests that run against both SQLite and PostgreSQL.

``database_url`` is parametrised: a fresh SQLite file, and a fresh uniquely named
PostgreSQL schema (dropped afterwards) on the server at ``$GMCBOT_TEST_POSTGRES_URL``
(default postgresql+psycopg://postgres@127.0.0.1:5432/test). When that server cannot be
reached the PostgreSQL tests FAIL if ``CI`` is true or the URL was given explicitly
(``.ci/run`` sets it), and otherwise skip with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from bot.config import Settings
from bot.corpus import load_corpus
from bot.store import SqlRecords, normalise_url, open_records
from bot.types import Category, Citation, Flag, Severity
from tests.pgschema import scratch_schema

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_required() -> bool:
    """True in CI, or when the developer named a server: then unreachable is a failure."""
    in_ci = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
    return in_ci or bool(os.environ.get("GMCBOT_TEST_POSTGRES_URL"))


@pytest.fixture(scope="session")
def postgres_server_url() -> URL:
    """The PostgreSQL server for tests, checked once per session."""
    url = normalise_url(os.environ.get("GMCBOT_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL)
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        reason = f"PostgreSQL at {url.render_as_string(hide_password=True)} is unreachable ({type(exc.orig).__name__})"
        if postgres_required():
            pytest.fail(
                f"{reason}; CI (or an explicit GMCBOT_TEST_POSTGRES_URL) requires PostgreSQL, "
                "so this is a failure, not a skip",
                pytrace=False,
            )
        pytest.skip(f"{reason}; set GMCBOT_TEST_POSTGRES_URL or start PostgreSQL to run these")
    finally:
        engine.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'audit.sqlite3'}"
        return
    server: URL = request.getfixturevalue("postgres_server_url")
    with scratch_schema(server.render_as_string(hide_password=False)) as url:
        yield url


@pytest.fixture
def db_settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, embedder="hashing")


@pytest.fixture
def open_store(db_settings: Settings) -> Iterator[Callable[..., SqlRecords]]:
    """Open records on the test database (options as for ``open_records``); all are
    closed at the end of the test."""
    opened: list[SqlRecords] = []

    def opener(settings: Settings | None = None, **options: Any) -> SqlRecords:
        options.setdefault("retry_seconds", 0.05)
        records = open_records(settings or db_settings, **options)
        opened.append(records)
        return records

    yield opener
    for records in opened:
        records.close()


@pytest.fixture
def store(open_store: Callable[..., SqlRecords]) -> SqlRecords:
    return open_store()


@pytest.fixture(scope="session")
def make_flag() -> Callable[..., Flag]:
    """Build a Flag citing real corpus paragraphs."""
    corpus = load_corpus()

    def build(
        redacted: str = "[NAME] in bay [N]",
        category: Category = Category.PATIENT_IDENTIFIABLE,
        cites: tuple[str, ...] = ("gmc-sm-2024:19", "gmc-conf-2017:121"),
        rule_ids: tuple[str, ...] = ("pid-name-context",),
        severity: Severity = Severity.HIGH,
    ) -> Flag:
        citations = []
        for pid in cites:
            paragraph = corpus.paragraph(pid)
            assert paragraph is not None, pid
            citations.append(Citation(paragraph, corpus.document(paragraph.doc_id)))
        return Flag(
            category=category,
            severity=severity,
            reasons=("test",),
            citations=tuple(citations),
            redacted=redacted,
            categories=(category,),
            rule_ids=rule_ids,
        )

    return build
