"""Migrations run from empty on both backends and match the models."""

from __future__ import annotations

import subprocess
import sys

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.store.engine import make_engine
from bot.store.migrate import _config, current_revision, head_revision, upgrade
from bot.store.models import Base
from bot.store.urls import normalise_url

TABLES = {
    "flags",
    "feedback",
    "channel_settings",
    "processed_events",
    "alembic_version",
    "flag_events",
    "event_jobs",
    "declines",
    "review_users",
    "review_sessions",
    "review_log",
    "user_professions",
}


def test_upgrade_from_empty_creates_every_table_and_matches_the_models(database_url: str) -> None:
    engine = make_engine(normalise_url(database_url))
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert set(inspect(engine).get_table_names()) == TABLES
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diffs == []
        upgrade(engine)  # a second run is a no-op
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_downgrade_to_empty_and_back(database_url: str) -> None:
    engine = make_engine(normalise_url(database_url))
    try:
        upgrade(engine)
        with engine.begin() as conn:
            command.downgrade(_config(conn), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) == TABLES
    finally:
        engine.dispose()


MIGRATE_SCRIPT = """
import sys
from bot.store.engine import make_engine
from bot.store.migrate import upgrade
from bot.store.urls import normalise_url
engine = make_engine(normalise_url(sys.argv[1]))
upgrade(engine)
engine.dispose()
"""


def test_processes_starting_together_migrate_once(database_url: str) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE_SCRIPT, database_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err[-800:] for _, err in results]
    engine = make_engine(normalise_url(database_url))
    try:
        assert current_revision(engine) == head_revision()
        assert set(inspect(engine).get_table_names()) == TABLES
    finally:
        engine.dispose()
