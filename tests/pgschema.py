"""A scratch PostgreSQL schema per test run, shared by the database and load tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from bot.store import normalise_url


@contextmanager
def scratch_schema(server_url: str, prefix: str = "gmcbot_test") -> Iterator[str]:
    """A fresh schema on ``server_url`` (dropped afterwards); yields the URL that uses it."""
    server = normalise_url(server_url)
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield server.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()
