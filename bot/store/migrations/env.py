"""Alembic environment for the audit store. Run through :func:`bot.store.migrate.upgrade`,
which passes an open connection in ``config.attributes["connection"]``; there is no
alembic.ini and no URL here."""

from __future__ import annotations

from alembic import context

from bot.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through bot.store.migrate.upgrade(), which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
