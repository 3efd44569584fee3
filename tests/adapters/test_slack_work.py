"""The Slack adapter's work queue: jobs run after the acknowledgement on a fixed pool,
a failing job does not stop the pool, the queue is bounded, and drain waits (boundedly)
for listeners to hand over their jobs and for the jobs to finish."""

from __future__ import annotations

import functools
import threading
import time

import pytest

from adapters.slack.work import Pending, WorkQueue


def test_jobs_run_and_a_failing_job_does_not_stop_the_workers(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[int] = []
    counts: list[int] = []
    work = WorkQueue(workers=2, on_change=counts.append)

    def boom() -> None:
        raise ValueError("secret text that must not be logged")

    assert work.submit(boom)
    for i in range(5):
        assert work.submit(functools.partial(seen.append, i))
    assert work.drain(5) == 0
    assert sorted(seen) == [0, 1, 2, 3, 4]
    assert counts[-1] == 0 and max(counts) >= 1
    assert "slack work job failed: ValueError" in caplog.text and "secret text" not in caplog.text
    assert work.submit(lambda: None) is False  # closed after draining


def test_the_queue_is_bounded() -> None:
    gate = threading.Event()
    work = WorkQueue(workers=1, limit=2)
    assert work.submit(gate.wait) and work.submit(lambda: None)
    assert work.submit(lambda: None) is False and work.refused == 1
    gate.set()
    assert work.drain(5) == 0


def test_drain_waits_for_listeners_then_jobs_and_is_bounded() -> None:
    work = WorkQueue(workers=1)
    done: list[str] = []

    def listener() -> None:  # as Bolt runs one: translate, then hand the job over
        time.sleep(0.2)

        def job() -> None:
            time.sleep(0.2)
            done.append("job")

        work.submit(job)

    work.listeners.submit(listener)
    started = time.monotonic()
    assert work.drain(5) == 0
    assert done == ["job"] and time.monotonic() - started >= 0.4

    stuck = WorkQueue(workers=1)
    stuck.submit(threading.Event().wait)  # never finishes
    started = time.monotonic()
    assert stuck.drain(0.3) == 1
    assert time.monotonic() - started < 2


def test_pending_counts_and_waits() -> None:
    pending = Pending()
    pending.begin()
    assert pending.wait_idle(0.05) == 1
    threading.Timer(0.1, pending.end).start()
    assert pending.wait_idle(5) == 0


def test_asks_never_wait_behind_queued_work() -> None:
    """Every general worker busy on screening: an ask still runs at once on the ask lane's
    own worker; and a free general worker takes waiting asks before older work."""
    gate = threading.Event()
    order: list[str] = []
    work = WorkQueue(workers=2, ask_workers=1)
    for _ in range(2):
        work.submit(gate.wait)  # both general workers stuck on slow screening
    for i in range(5):
        work.submit(functools.partial(order.append, f"screen{i}"))
    answered = threading.Event()

    def ask() -> None:
        order.append("ask")
        answered.set()

    assert work.submit(ask, lane="ask")
    assert answered.wait(2) and order == ["ask"]
    assert work.waiting("work") >= 5  # the screening still waits
    with pytest.raises(ValueError):
        work.submit(lambda: None, lane="express")

    late = WorkQueue(workers=1, ask_workers=0)
    hold = threading.Event()
    late.submit(hold.wait)
    late.submit(lambda: order.append("old work"))
    late.submit(lambda: order.append("new ask"), lane="ask")
    hold.set()
    gate.set()
    assert late.drain(5) == 0 and work.drain(5) == 0
    assert order.index("new ask") < order.index("old work")
