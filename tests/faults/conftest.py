"""Fixtures for the fault-injection tests: the database and outage fixtures of
``tests/db`` (SQLite and PostgreSQL), and a data folder whose hashing index is built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.db.conftest import database_url, db_settings, open_store, postgres_server_url  # noqa: F401 - fixtures
from tests.db.test_db_outage import outage  # noqa: F401 - a fixture


@pytest.fixture(scope="session")
def faults_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder shared by the in-process fault tests (index built once)."""
    return tmp_path_factory.mktemp("faults-data")
