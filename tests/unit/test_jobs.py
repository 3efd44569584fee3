"""The durable-job core (bot/jobs.py) on its in-memory store: claims, effects done at
most once, leases renewed, expired jobs replayed (never one still held), the age limit."""

from __future__ import annotations

import pytest

from bot.jobs import Durable, Job, MemoryJobs
from bot.records import MemoryRecords


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def make(clock: Clock, records: MemoryRecords | None = None, outcomes: list[str] | None = None) -> Durable:
    store = MemoryJobs((records or MemoryRecords()).claim_event)
    seen = outcomes if outcomes is not None else []
    return Durable(store, lease_seconds=10, max_age_seconds=60, clock=clock, owner="w1", on_outcome=seen.append)


def keep(replayed: list[Job], job: Job) -> bool:
    """A replay that takes every job, noting it."""
    replayed.append(job)
    return True


def test_an_event_is_accepted_once_and_its_effects_run_at_most_once() -> None:
    clock, outcomes = Clock(), list[str]()
    durable = make(clock, outcomes=outcomes)
    job = durable.accept("slack", "Ev1", {"type": "event_callback"})
    assert job is not None and durable.held == 1
    assert durable.accept("slack", "Ev1", {"type": "event_callback"}) is None  # Slack's retry
    ran: list[str] = []
    assert durable.once(job, "notice", lambda: ran.append("notice"))
    assert not durable.once(job, "notice", lambda: ran.append("again"))
    assert ran == ["notice"] and job.steps == {"notice": "done"}
    durable.finish(job)
    assert durable.held == 0 and durable.store.count() == 0
    assert outcomes == ["accepted", "duplicate", "finished"]


def test_effect_ids_are_stable_per_event_and_name() -> None:
    a = Job("slack:Ev1", "slack", "Ev1", {}, 0.0)
    b = Job("slack:Ev1", "slack", "Ev1", {"other": 1}, 5.0)
    assert a.effect_id("flag") == b.effect_id("flag") != a.effect_id("notice")
    assert len(a.effect_id("flag")) == 32 and int(a.effect_id("flag"), 16) >= 0


def test_an_expired_job_is_replayed_by_another_worker_with_its_steps() -> None:
    clock, records = Clock(), MemoryRecords()
    store = MemoryJobs(records.claim_event)
    dead = Durable(store, lease_seconds=10, max_age_seconds=60, clock=clock, owner="dead")
    live = Durable(store, lease_seconds=10, max_age_seconds=60, clock=clock, owner="live")
    job = dead.accept("slack", "Ev2", {"n": 2})
    assert job is not None
    dead.once(job, "notice", lambda: None)
    replayed: list[Job] = []
    assert live.tick(lambda j: keep(replayed, j), capacity=5) == 0  # lease still running
    clock.now += 11
    assert live.tick(lambda j: keep(replayed, j), capacity=5) == 1
    assert [j.id for j in replayed] == ["slack:Ev2"] and replayed[0].steps == {"notice": "sending"}
    assert replayed[0].replayed and live.held == 1
    clock.now += 5  # renewed by the live worker's tick: not taken again
    assert live.tick(lambda j: keep(replayed, j), capacity=5) == 0


def test_a_job_still_held_here_is_never_replayed_here_even_if_its_renewal_came_late() -> None:
    clock = Clock()
    durable = make(clock)
    job = durable.accept("slack", "Ev3", {})
    assert job is not None
    clock.now += 11  # as if renewals had failed while the job waited in the queue
    replayed: list[Job] = []
    assert durable.tick(lambda j: keep(replayed, j), capacity=5) == 0
    assert replayed == []


def test_a_refused_replay_is_released_and_capacity_bounds_the_takeover() -> None:
    clock, records = Clock(), MemoryRecords()
    store = MemoryJobs(records.claim_event)
    dead = Durable(store, lease_seconds=10, max_age_seconds=60, clock=clock, owner="dead")
    for i in range(3):
        dead.accept("slack", f"E{i}", {})
    live = Durable(store, lease_seconds=10, max_age_seconds=60, clock=clock, owner="live")
    clock.now += 11
    assert live.tick(lambda j: False, capacity=5) == 0 and live.held == 0
    clock.now += 11
    assert live.tick(lambda j: True, capacity=2) == 2


def test_jobs_past_the_age_limit_are_deleted_unfinished_and_counted() -> None:
    clock, outcomes = Clock(), list[str]()
    durable = make(clock, outcomes=outcomes)
    durable.accept("slack", "Old", {"text": "secret"})
    clock.now += 61
    durable.tick(lambda j: True, capacity=5)
    assert durable.store.count() == 0 and outcomes.count("expired") == 1


def _crashed_under_way(clock: Clock, store: MemoryJobs, *names: str) -> Job:
    """A job whose worker stored the step of each of ``names`` and died during the last
    one's call (the earlier ones returned); the job as another worker takes it over."""
    dead = Durable(store, lease_seconds=10, max_age_seconds=60, clock=clock, owner="dead")
    job = dead.accept("slack", "Ev9", {})
    assert job is not None

    class Killed(BaseException):
        pass

    def die() -> None:
        raise Killed

    for name in names[:-1]:
        dead.once(job, name, lambda: None)
    try:
        dead.once(job, names[-1], die)
    except Killed:
        pass
    clock.now += 11
    taken = store.take_expired("live", clock.now, clock.now + 10, 5)
    assert len(taken) == 1
    return taken[0]


def test_a_step_that_returned_is_stored_done_with_the_next_and_never_checked() -> None:
    clock, records = Clock(), MemoryRecords()
    store = MemoryJobs(records.claim_event)
    job = _crashed_under_way(clock, store, "notice", "moderators")
    assert job.steps == {"notice": "done", "moderators": "sending"}
    live = make(clock)
    asked: list[str] = []

    def check() -> bool:
        asked.append("checked")
        return False

    assert not live.once(job, "notice", lambda: asked.append("sent"), check=check)
    assert asked == []


@pytest.mark.parametrize(
    ("found", "runs", "outcome"), [(True, [], "confirmed"), (False, ["sent"], "resent"), (None, [], "uncertain")]
)
def test_an_effect_under_way_at_a_crash_is_resolved_by_asking_the_platform(
    found: bool | None, runs: list[str], outcome: str
) -> None:
    clock, records, outcomes = Clock(), MemoryRecords(), list[str]()
    store = MemoryJobs(records.claim_event)
    job = _crashed_under_way(clock, store, "moderators")
    live = Durable(store, lease_seconds=10, max_age_seconds=60, clock=clock, owner="live", on_outcome=outcomes.append)
    ran: list[str] = []
    assert live.once(job, "moderators", lambda: ran.append("sent"), check=lambda: found) is bool(runs)
    assert ran == runs and outcomes == [outcome] and job.steps == {"moderators": "done"}
    assert not live.once(job, "moderators", lambda: ran.append("again"), check=lambda: False)  # resolved once


def test_an_uncheckable_effect_under_way_at_a_crash_is_not_repeated() -> None:
    clock, records, outcomes = Clock(), MemoryRecords(), list[str]()
    store = MemoryJobs(records.claim_event)
    job = _crashed_under_way(clock, store, "notice")
    live = Durable(store, lease_seconds=10, max_age_seconds=60, clock=clock, owner="live", on_outcome=outcomes.append)

    def broken() -> bool:
        raise OSError("history unreadable")

    ran: list[str] = []
    assert not live.once(job, "notice", lambda: ran.append("sent"))
    assert ran == [] and outcomes == ["uncertain"]
    job2 = _crashed_under_way(Clock(), MemoryJobs(MemoryRecords().claim_event), "moderators")
    assert not live.once(job2, "moderators", lambda: ran.append("sent"), check=broken)  # cannot say: not repeated
    assert ran == [] and outcomes == ["uncertain", "uncertain"]


def test_a_job_stored_before_sending_and_done_reads_its_sent_steps_as_done() -> None:
    live = make(Clock())
    job = Job("slack:Ev8", "slack", "Ev8", {}, 0.0, steps={"notice": "sent"})
    assert not live.pending(job, "notice", check=lambda: False)
