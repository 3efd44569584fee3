"""The load tests run on both audit stores, with the database fixtures of ``tests/db``."""

from __future__ import annotations

from tests.db.conftest import database_url, postgres_server_url  # noqa: F401 - fixtures
