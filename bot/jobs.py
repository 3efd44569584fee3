"""Durable work after the acknowledgement: every accepted platform event is kept as a
job until its work is done, so a crash (SIGKILL, an out-of-memory kill) loses nothing
that was acknowledged.

Contract:
- :meth:`Durable.accept` claims the event id and stores the job in one transaction,
  *before* the adapter acknowledges; it returns None for an event already claimed (a
  platform's retry) and raises :class:`bot.errors.StoreUnavailable` when the job cannot
  be stored (the adapter then works from memory, as before, and counts it);
- a job is held under a lease by one worker (``owner``); :class:`Durable` renews the
  leases it holds while the work runs; any worker (the same one after a restart too)
  takes over a job whose lease expired and replays it;
- work is idempotent per event id: :meth:`Durable.once` runs each named effect (notice
  sent, moderators told, answer posted) once per job. Its step is stored as
  :data:`SENDING` just before the platform call and counts as :data:`DONE` once the call
  returned (stored with the job's next write, or implied by the job's deletion). A
  replay skips done effects; an effect a crash left *under way* (stored ``sending``)
  is resolved by asking the platform when the adapter can (``check``: e.g. a Slack
  message carrying the effect's id in its metadata) — found, it is not repeated; not
  found, it is sent — and otherwise skipped (at most once: such a call is neither
  idempotent nor checkable, so a resend could show it twice). :meth:`Job.effect_id`
  gives ids (a flag's, a message's metadata) that stay the same on a replay;
- :meth:`Durable.finish` deletes the job (and its payload) once the work ends; a job is
  never kept past ``max_age_seconds`` (default 15 minutes): it is purged unfinished and
  counted, so message text never outlives the work by more than that;
- the payload is encrypted at rest (Fernet, a key kept apart from the database:
  :mod:`bot.store.jobs_key`) by the store; this module sees it decrypted.

The store is a :class:`JobStore`: :class:`bot.store.jobs_sql.SqlJobs` (SQLite or
PostgreSQL) or :class:`MemoryJobs` (in-process, for tests and the console).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.errors import StoreUnavailable

log = logging.getLogger("bot.jobs")

LEASE_SECONDS = 30.0
MAX_AGE_SECONDS = 15 * 60.0
SENDING = "sending"  # stored just before an effect's platform call
DONE = "done"  # the call returned (or failed and was logged): never repeated
# (Jobs stored before these two marked a step "sent" before its call: read as done.)


@dataclass
class Job:
    """One accepted event: ``payload`` is the platform's body as received (decrypted),
    ``steps`` the effects already done (name -> value)."""

    id: str
    platform: str
    key: str
    payload: dict[str, Any]
    created: float
    steps: dict[str, str] = field(default_factory=dict)
    replayed: bool = False

    def effect_id(self, name: str) -> str:
        """A stable 32-hex id for the effect ``name`` of this job (the same on a replay)."""
        return hashlib.sha256(f"{self.id}\x00{name}".encode()).hexdigest()[:32]


def job_id(platform: str, key: str) -> str:
    return f"{platform}:{key}"


class JobStore(Protocol):
    """Where jobs live. Every method raises StoreUnavailable when the store cannot be reached."""

    durable: bool

    def accept(self, job: Job, owner: str, lease_until: float) -> bool:
        """Claim ``(job.platform, job.key)`` and store ``job`` in one transaction; False
        (nothing stored) when the event was claimed before."""
        ...

    def record_steps(self, job_id: str, steps: dict[str, str]) -> None: ...

    def finish(self, job_id: str) -> None: ...

    def renew(self, owner: str, ids: Iterable[str], lease_until: float) -> None: ...

    def take_expired(self, owner: str, now: float, lease_until: float, limit: int) -> list[Job]:
        """Jobs whose lease ended before ``now``, now leased to ``owner`` (oldest first)."""
        ...

    def purge(self, created_before: float) -> int: ...

    def count(self) -> int: ...


class MemoryJobs:
    """Jobs in this process only (not durable), claiming through ``claim``."""

    durable = False

    def __init__(self, claim: Callable[[str, str], bool]) -> None:
        self._claim = claim
        self._jobs: dict[str, tuple[Job, str, float]] = {}
        self._lock = threading.Lock()

    def accept(self, job: Job, owner: str, lease_until: float) -> bool:
        if not self._claim(job.platform, job.key):
            return False
        with self._lock:
            self._jobs[job.id] = (dataclasses.replace(job, steps=dict(job.steps)), owner, lease_until)
        return True

    def record_steps(self, job_id: str, steps: dict[str, str]) -> None:
        with self._lock:
            if job_id in self._jobs:
                self._jobs[job_id][0].steps = dict(steps)  # a copy: what was stored, not what is held

    def finish(self, job_id: str) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)

    def renew(self, owner: str, ids: Iterable[str], lease_until: float) -> None:
        with self._lock:
            for i in ids:
                if i in self._jobs and self._jobs[i][1] == owner:
                    self._jobs[i] = (self._jobs[i][0], owner, lease_until)

    def take_expired(self, owner: str, now: float, lease_until: float, limit: int) -> list[Job]:
        with self._lock:
            due = sorted((j for j, _, until in self._jobs.values() if until < now), key=lambda j: j.created)[:limit]
            for j in due:
                self._jobs[j.id] = (j, owner, lease_until)
            return [dataclasses.replace(j, steps=dict(j.steps)) for j in due]

    def purge(self, created_before: float) -> int:
        with self._lock:
            old = [i for i, (j, _, _) in self._jobs.items() if j.created < created_before]
            for i in old:
                del self._jobs[i]
            return len(old)

    def count(self) -> int:
        with self._lock:
            return len(self._jobs)


def worker_name() -> str:
    """This worker's lease owner: host, process id and a random suffix."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class Durable:
    """Accepts jobs, holds their leases, replays expired ones and purges old ones.

    ``replay(job)`` (set by :meth:`bind`) hands a taken job to the adapter's work; it
    returns False when the job could not be handed over (it is then released to expire
    again). ``capacity()`` says how many more jobs the adapter can take now.
    ``on_outcome(name)`` counts outcomes: accepted, duplicate, not_durable, replayed,
    finished, expired; and for effects a crash left under way (:meth:`pending`):
    confirmed, resent, uncertain."""

    def __init__(
        self,
        store: JobStore,
        *,
        lease_seconds: float = LEASE_SECONDS,
        max_age_seconds: float = MAX_AGE_SECONDS,
        owner: str = "",
        clock: Callable[[], float] = time.time,
        on_outcome: Callable[[str], None] | None = None,
    ) -> None:
        if lease_seconds <= 0 or max_age_seconds <= lease_seconds:
            raise ValueError("lease_seconds must be positive and below max_age_seconds")
        self.store = store
        self.lease_seconds = lease_seconds
        self.max_age_seconds = max_age_seconds
        self.owner = owner or worker_name()
        self._clock = clock
        self._count = on_outcome or (lambda _name: None)
        self._held: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._replay: Callable[[Job], bool] | None = None
        self._capacity: Callable[[], int] = lambda: 0

    @property
    def durable(self) -> bool:
        return self.store.durable

    @property
    def held(self) -> int:
        with self._lock:
            return len(self._held)

    # -- the live path -------------------------------------------------------------------
    def accept(self, platform: str, key: str, payload: dict[str, Any]) -> Job | None:
        """Store the job for ``(platform, key)`` leased to this worker; None when the
        event was claimed before. StoreUnavailable when it could not be stored."""
        now = self._clock()
        job = Job(job_id(platform, key), platform, key, payload, now)
        if not self.store.accept(job, self.owner, now + self.lease_seconds):
            self._count("duplicate")
            return None
        self._count("accepted")
        with self._lock:
            self._held[job.id] = job
        return job

    def pending(self, job: Job | None, name: str, check: Callable[[], bool | None] | None = None) -> bool:
        """True when effect ``name`` of ``job`` is still to do.

        A step a crash left under way (:data:`SENDING`) is resolved here, once: with
        ``check`` (True: the platform has it; False: it does not; None: it cannot say)
        a found effect is done and a missing one is to do; without ``check``, or when
        the platform cannot say, it counts as done (never twice), counted ``uncertain``."""
        if job is None:
            return True
        state = job.steps.get(name)
        if state is None:
            return True
        if state != SENDING:
            return False
        found: bool | None = None
        if check is not None:
            try:
                found = check()
            except Exception as exc:  # noqa: BLE001 - a failed check is "cannot say"; the type is logged
                log.warning("jobs: checking %s of job %s failed: %s", name, _short(job.id), type(exc).__name__)
        if found is False:
            log.warning(
                "jobs: %s of job %s was under way at a crash and did not arrive; sending it", name, _short(job.id)
            )
            self._count("resent")
            del job.steps[name]
            return True
        job.steps[name] = DONE
        if found:
            log.info("jobs: %s of job %s was under way at a crash and had arrived; not repeated", name, _short(job.id))
            self._count("confirmed")
        else:
            log.warning(
                "jobs: %s of job %s was under way at a crash and cannot be checked; not repeated (at most once)",
                name,
                _short(job.id),
            )
            self._count("uncertain")
        return False

    def once(
        self,
        job: Job | None,
        name: str,
        effect: Callable[[], object],
        check: Callable[[], bool | None] | None = None,
    ) -> bool:
        """Run ``effect`` unless ``job`` did ``name`` before (see :meth:`pending`, which
        resolves a step a crash left under way with ``check``). The step is stored as
        :data:`SENDING` before the effect runs and held :data:`DONE` after it (stored
        with the job's next write; the job's deletion implies it), so a replay never
        repeats an effect that returned, and repeats one under way only when ``check``
        says the platform does not have it. True when it ran."""
        if job is None:
            effect()
            return True
        if not self.pending(job, name, check):
            log.info("jobs: %s of job %s was done before; not repeated", name, _short(job.id))
            return False
        job.steps[name] = SENDING
        try:
            self.store.record_steps(job.id, job.steps)
        except StoreUnavailable:
            log.warning("jobs: could not record a step of job %s; a replay may repeat it", _short(job.id))
        try:
            effect()
        finally:
            job.steps[name] = DONE  # stored with the next step, or implied when the job is deleted
        return True

    def finish(self, job: Job) -> None:
        """The work ended (done, or failed and logged): delete the job and its payload."""
        with self._lock:
            self._held.pop(job.id, None)
        try:
            self.store.finish(job.id)
        except StoreUnavailable:
            log.warning("jobs: could not delete finished job %s; it will be purged", _short(job.id))
            return
        self._count("finished")

    def release(self, job: Job) -> None:
        """Stop renewing ``job`` (it could not be handed over): another worker, or this
        one after a restart, replays it once its lease expires."""
        with self._lock:
            self._held.pop(job.id, None)

    # -- the background thread -------------------------------------------------------------
    def bind(self, replay: Callable[[Job], bool], capacity: Callable[[], int]) -> None:
        """Say how taken-over jobs are replayed and how many the adapter can take now."""
        self._replay = replay
        self._capacity = capacity

    def start(self) -> None:
        """Renew, replay (through what :meth:`bind` gave) and purge every
        ``lease_seconds / 3`` seconds, until :meth:`stop`."""
        if self._thread is not None:
            return
        if self._replay is None:
            raise RuntimeError("bind() the replay before start()")
        replay, capacity = self._replay, self._capacity
        period = max(0.05, self.lease_seconds / 3)

        def loop() -> None:
            while True:
                try:
                    self.tick(replay, capacity())
                except StoreUnavailable:
                    pass  # the store logs its outage; try again next tick
                except Exception as exc:  # noqa: BLE001 - the lease thread must survive; the type is logged
                    log.error("jobs: lease thread error %s", type(exc).__name__)
                if self._stop.wait(period):
                    return

        self._thread = threading.Thread(target=loop, name="gmcbot-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread. Jobs still held keep their lease until it expires, then any
        worker replays them."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def tick(self, replay: Callable[[Job], bool], capacity: int) -> int:
        """Renew held leases, purge jobs past the age limit, take over expired ones
        (at most ``capacity``) and replay them. Returns how many were replayed."""
        now = self._clock()
        with self._lock:
            held = list(self._held)
        if held:
            self.store.renew(self.owner, held, now + self.lease_seconds)
        purged = self.store.purge(now - self.max_age_seconds)
        if purged:
            log.error(
                "jobs: %d job(s) older than %d s were deleted unfinished (their payload with them)",
                purged,
                int(self.max_age_seconds),
            )
            for _ in range(purged):
                self._count("expired")
        if capacity <= 0:
            return 0
        replayed = 0
        for job in self.store.take_expired(self.owner, now, now + self.lease_seconds, capacity):
            with self._lock:
                if job.id in self._held:  # still being worked here (a renewal came late): keep it
                    continue
                self._held[job.id] = job
            job.replayed = True
            if replay(job):
                replayed += 1
                self._count("replayed")
            else:
                self.release(job)
        if replayed:
            log.warning(
                "jobs: replaying %d job(s) whose lease expired (a worker stopped before finishing them)", replayed
            )
        return replayed


def _short(job_id: str) -> str:
    """A job id fit for a log line: platform and event id only (they carry no text)."""
    return job_id[:80]


def durable_for(settings: Any, records: Any, on_outcome: Callable[[str], None] | None = None) -> Durable:
    """The :class:`Durable` for a bot's records: jobs in the same database as a SQL audit
    store (key from ``settings.job_key`` or the key file in ``settings.data_dir``), or in
    memory for in-memory records. Lease and age limit from ``settings``."""
    store: JobStore
    engine = getattr(records, "engine", None)
    if engine is not None:
        from bot.store.jobs_key import job_key_file, load_or_create_job_key
        from bot.store.jobs_sql import SqlJobs

        fernet = load_or_create_job_key(settings.job_key, job_key_file(settings.data_dir))
        lock = getattr(records, "_lock", None) if engine.dialect.name == "sqlite" else None
        store = SqlJobs(engine, fernet, where=str(getattr(records, "_where", "the database")), lock=lock)
    else:
        store = MemoryJobs(records.claim_event)
    return Durable(
        store,
        lease_seconds=float(settings.job_lease_seconds),
        max_age_seconds=float(settings.job_max_age_seconds),
        on_outcome=on_outcome,
    )
