"""Durable jobs in the audit store's database (bot/store/jobs_sql.py), on SQLite and
PostgreSQL: the claim and the job in one transaction, the payload encrypted at rest
under a key kept outside the database, leases taken over once (SKIP LOCKED on
PostgreSQL), steps kept for the replay, purge by age."""

from __future__ import annotations

import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.config import Settings
from bot.errors import ConfigError
from bot.jobs import Durable, Job, durable_for
from bot.store import SqlRecords
from bot.store.jobs_key import job_key_file, load_or_create_job_key
from bot.store.jobs_sql import SqlJobs

SECRET_TEXT = "Bed 4 is John Carter NHS 943 476 5919"


def test_the_claim_and_the_job_are_one_transaction_and_the_payload_is_encrypted(
    db_settings: Settings, open_store: Callable[..., SqlRecords]
) -> None:
    store = open_store()
    durable = durable_for(db_settings, store)
    assert durable.durable and isinstance(durable.store, SqlJobs)
    job = durable.accept("slack", "EvJ1", {"event": {"text": SECRET_TEXT}})
    assert job is not None
    assert durable.accept("slack", "EvJ1", {"event": {"text": SECRET_TEXT}}) is None
    assert store.claim_event("slack", "EvJ1") is False  # the claim is the audit store's
    with store.engine.connect() as conn:
        raw = conn.execute(text("SELECT payload, steps FROM event_jobs")).one()
    payload = bytes(raw[0])
    assert SECRET_TEXT.encode() not in payload and b"Carter" not in payload and b"943" not in payload
    assert raw[1] == "{}"
    durable.finish(job)
    assert durable.store.count() == 0  # the payload goes when the work ends


def test_a_worker_takes_over_expired_leases_with_their_steps_and_only_once(
    db_settings: Settings, open_store: Callable[..., SqlRecords]
) -> None:
    store = open_store()
    fernet = load_or_create_job_key("", job_key_file(db_settings.data_dir))
    jobs = SqlJobs(store.engine, fernet)
    now = time.time()
    dead = Durable(jobs, lease_seconds=1, max_age_seconds=60, owner="dead")
    for i in range(20):
        job = dead.accept("slack", f"EvT{i}", {"i": i})
        assert job is not None
        if i == 0:
            dead.once(job, "notice", lambda: None)
    taken: dict[str, list[Job]] = {"a": [], "b": []}

    def take(owner: str) -> None:
        taken[owner] = jobs.take_expired(owner, now + 5, now + 60, 50)

    threads = [threading.Thread(target=take, args=(o,)) for o in taken]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids_a, ids_b = {j.id for j in taken["a"]}, {j.id for j in taken["b"]}
    assert not ids_a & ids_b and len(ids_a | ids_b) == 20  # each job to one worker
    first = next(j for j in taken["a"] + taken["b"] if j.key == "EvT0")
    assert first.steps == {"notice": "sending"} and first.payload == {"i": 0}  # its call's return unknown
    assert jobs.take_expired("c", now + 5, now + 60, 50) == []  # leases now held
    assert jobs.purge(now + 1) == 20 and jobs.count() == 0


def test_a_payload_under_another_key_is_left_to_expire(
    db_settings: Settings, open_store: Callable[..., SqlRecords], caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store()
    mine = SqlJobs(store.engine, Fernet(Fernet.generate_key()))
    theirs = SqlJobs(store.engine, Fernet(Fernet.generate_key()))
    Durable(theirs, lease_seconds=1, max_age_seconds=60, owner="other").accept("slack", "EvK", {"x": 1})
    assert mine.take_expired("me", time.time() + 5, time.time() + 60, 10) == []
    assert "does not decrypt" in caplog.text and "EvK" in caplog.text
    assert mine.count() == 1


def test_the_job_key_file_is_private_and_a_bad_key_is_a_clear_error(tmp_path: Path) -> None:
    path = job_key_file(tmp_path)
    first = load_or_create_job_key("", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = first.encrypt(b"x")
    assert load_or_create_job_key("", path).decrypt(token) == b"x"  # the same key next time
    with pytest.raises(ConfigError, match="GMCBOT_JOB_KEY"):
        load_or_create_job_key("not-a-key", path)
