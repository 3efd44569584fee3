"""Bring a database to the newest schema with Alembic, run programmatically from the
migrations shipped inside this package (no alembic.ini)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same in every gmcbot process.
_PG_LOCK_KEY = 0x676D63626F74  # "gmcbot"

# Alembic's ``context`` and ``op`` are module globals: one migration per process at a time.
_IN_PROCESS = threading.Lock()

log = logging.getLogger(__name__)
# Alembic narrates every context at INFO; keep it to warnings unless someone chose a level.
if logging.getLogger("alembic").level == logging.NOTSET:
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision shipped with this version of gmcbot."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it has no schema yet."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Migrate to the head revision. Several processes may start at once: they take
    turns (a PostgreSQL advisory lock, SQLite's write lock), and each one after the first
    finds the schema current and does nothing."""
    if current_revision(engine) == head_revision():
        return
    with _IN_PROCESS, engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        else:  # take SQLite's write lock now, so a second process waits here
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        command.upgrade(_config(conn), "head")
    log.info("database schema at revision %s", head_revision())
