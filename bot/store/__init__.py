"""The durable audit store: flags and their outcomes, answer feedback, channel
settings and processed event ids, in SQLite (default) or PostgreSQL, with no patient
data and pseudonymised user ids. See docs/audit.md."""

from bot.store.factory import open_records
from bot.store.sql import PurgeCounts, SqlRecords
from bot.store.urls import normalise_url, safe_url

__all__ = ["PurgeCounts", "SqlRecords", "normalise_url", "open_records", "safe_url"]
