"""The threads that run the Slack adapter's listeners and, after Slack has its
acknowledgement, their work.

Bolt runs listeners on a thread pool, and a slash command is acknowledged only once a
pool thread runs its listener; if that pool also did the slow part (the core, Web API
calls with their retries), acknowledgements would wait behind answers under load. So
listeners only translate and hand the rest to a :class:`WorkQueue`: a fixed number of
daemon threads (daemon, so a job stuck on a hanging call can never hold the process past
a bounded shutdown), two lanes (questions first: see :class:`WorkQueue`), a bound on the
jobs waiting and a count of jobs queued or running. The queue
also owns Bolt's listener pool (:attr:`WorkQueue.listeners`), counting listeners not yet
finished, so :meth:`WorkQueue.drain` can wait for an acknowledged event's listener to
hand over its job before waiting for the jobs.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger("adapters.slack")

DEFAULT_WORKERS = 8
DEFAULT_LISTENERS = 10
DEFAULT_LIMIT = 10_000


class Pending:
    """A thread-safe count of things under way, and a bounded wait for none."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.count = 0

    def begin(self) -> None:
        with self._cond:
            self.count += 1

    def end(self) -> None:
        with self._cond:
            self.count -= 1
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for the count to reach 0; returns the count."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cond:
            while self.count and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)
            return self.count


class CountingExecutor(ThreadPoolExecutor):
    """A thread pool (Bolt's ``listener_executor``) that counts submissions not finished."""

    def __init__(self, workers: int, name: str) -> None:
        super().__init__(max_workers=workers, thread_name_prefix=name)
        self.pending = Pending()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.pending.begin()
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self.pending.end()
            raise
        future.add_done_callback(lambda _: self.pending.end())
        return future


ASK = "ask"
WORK = "work"
LANES = (ASK, WORK)
DEFAULT_ASK_WORKERS = 2


class WorkQueue:
    """Runs submitted jobs on worker threads, in two lanes. Questions go in the ``ask``
    lane: ``ask_workers`` threads take only asks, and every other worker takes a waiting
    ask before anything else, so an answer never queues behind screening. Everything else
    (screening, feedback, settings) goes in the ``work`` lane, oldest first. A job must
    catch its own errors (one that raises is logged by type). At most ``limit`` jobs wait
    in all; more are refused and logged. ``on_change`` hears the number of jobs queued or
    running."""

    def __init__(
        self,
        workers: int = DEFAULT_WORKERS,
        limit: int = DEFAULT_LIMIT,
        *,
        on_change: Callable[[int], None] | None = None,
        name: str = "gmcbot-work",
        listeners: int = DEFAULT_LISTENERS,
        ask_workers: int = DEFAULT_ASK_WORKERS,
    ) -> None:
        if workers < 1 or limit < 1 or listeners < 1 or ask_workers < 0:
            raise ValueError("workers, limit and listeners must be at least 1, ask_workers at least 0")
        self.workers = workers
        self.ask_workers = ask_workers
        self.limit = limit
        self.refused = 0
        self.listeners = CountingExecutor(listeners, f"{name}-listener")
        self._on_change = on_change
        self._lanes: dict[str, collections.deque[Callable[[], object]]] = {lane: collections.deque() for lane in LANES}
        self._cond = threading.Condition()
        self._active = 0
        self._closed = False
        self._stopping = False
        self._threads = [
            threading.Thread(target=self._loop, args=((ASK, WORK),), name=f"{name}-{i}", daemon=True)
            for i in range(workers)
        ]
        self._threads += [
            threading.Thread(target=self._loop, args=((ASK,),), name=f"{name}-ask-{i}", daemon=True)
            for i in range(ask_workers)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def active(self) -> int:
        """Jobs queued or running."""
        with self._cond:
            return self._active

    def waiting(self, lane: str) -> int:
        """Jobs queued (not yet running) in ``lane``."""
        with self._cond:
            return len(self._lanes[lane])

    def submit(self, job: Callable[[], object], lane: str = WORK) -> bool:
        """Queue ``job`` in ``lane`` (``ask`` or ``work``); False when the queue is full or
        closed (the job will not run)."""
        if lane not in self._lanes:
            raise ValueError(f"unknown lane {lane!r}")
        with self._cond:
            if self._closed or self._active >= self.limit:
                self.refused += 1
                log.error(
                    "slack work queue %s: a job was refused (%d refused so far)",
                    "closed" if self._closed else "full",
                    self.refused,
                )
                return False
            self._active += 1
            count = self._active
            self._lanes[lane].append(job)
            self._cond.notify_all()
        self._changed(count)
        return True

    def drain(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds in all for running listeners to hand over their
        jobs and for every queued and running job to finish, then close the queue (later
        submissions are refused). Returns how many jobs and listeners were left unfinished
        (0 when everything drained)."""
        deadline = time.monotonic() + max(0.0, timeout)
        listening = self.listeners.pending.wait_idle(timeout)
        with self._cond:
            while self._active and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)
            self._closed = True
            self._stopping = True
            unfinished = self._active
            self._cond.notify_all()
        self.listeners.shutdown(wait=False, cancel_futures=True)
        return unfinished + listening

    def _next(self, lanes: tuple[str, ...]) -> Callable[[], object] | None:
        """The next job from the first of ``lanes`` holding one; None once stopping."""
        with self._cond:
            while True:
                if self._stopping:
                    return None
                for lane in lanes:
                    if self._lanes[lane]:
                        return self._lanes[lane].popleft()
                self._cond.wait()

    def _loop(self, lanes: tuple[str, ...]) -> None:
        while (job := self._next(lanes)) is not None:
            try:
                job()
            except Exception as exc:  # noqa: BLE001 - a worker must survive any job; the type is logged, never the text
                log.error("slack work job failed: %s", type(exc).__name__)
            finally:
                with self._cond:
                    self._active -= 1
                    count = self._active
                    self._cond.notify_all()
                self._changed(count)

    def _changed(self, count: int) -> None:
        if self._on_change is not None:
            self._on_change(count)
