"""Open the audit store named by the settings: connect, migrate, apply retention."""

from __future__ import annotations

import atexit
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.config import Settings
from bot.errors import StoreUnavailable
from bot.store.engine import make_engine
from bot.store.jobs_key import job_key_file, load_or_create_job_key
from bot.store.keys import key_file_for, load_or_create_key
from bot.store.migrate import upgrade
from bot.store.sql import SqlRecords, utcnow
from bot.store.urls import normalise_url, safe_url, sqlite_path


def open_records(
    settings: Settings,
    *,
    busy_timeout: float = 5.0,
    retry_seconds: float = 5.0,
    queue_limit: int = 10_000,
    clock: Callable[[], datetime] = utcnow,
) -> SqlRecords:
    """The durable records for ``settings.effective_database_url`` (SQLite file in the
    data folder by default). Creates the file and schema on first run. Raises
    StoreUnavailable naming the URL (never its password) when the database cannot be
    reached. The keyword options go to :class:`SqlRecords` (tests shorten the times)."""
    url = normalise_url(settings.effective_database_url)
    shown = safe_url(url)
    engine = make_engine(url, busy_timeout=busy_timeout)
    try:
        upgrade(engine)
    except (DBAPIError, PoolTimeout) as exc:
        engine.dispose()
        raise StoreUnavailable(f"cannot open the database at {shown}: {_reason(exc, url.password)}") from None
    key = load_or_create_key(settings.pseudonym_key, key_file_for(sqlite_path(url), settings.data_dir))
    records = SqlRecords(
        engine,
        key,
        where=shown,
        retention_days=settings.retention_days,
        queue_limit=queue_limit,
        retry_seconds=retry_seconds,
        clock=clock,
        spill_to=(settings.data_dir, lambda: load_or_create_job_key(settings.job_key, job_key_file(settings.data_dir))),
    )
    try:
        records.maintain()
    except StoreUnavailable:
        pass
    records.replay_spilled()  # audit records an earlier run kept while the database was away
    atexit.register(records.close)  # a last attempt to write records waiting on an outage
    return records


def _reason(exc: BaseException, password: str | None) -> str:
    """The driver's first line of explanation, with the password scrubbed just in case."""
    inner = getattr(exc, "orig", None) or exc
    line = (str(inner).strip().splitlines() or [type(inner).__name__])[0]
    if password:
        line = line.replace(password, "***")
    return line
