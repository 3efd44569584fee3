"""The threads that run the Slack adapter's listeners and, after Slack has its
acknowledgement, their work.

Bolt runs listeners on a thread pool, and a slash command is acknowledged only once a
pool thread runs its listener; if that pool also did the slow part (the core, Web API
calls with their retries), acknowledgements would wait behind answers under load. So
listeners only translate and hand the rest to a :class:`WorkQueue`: a fixed number of
daemon threads (daemon, so a job stuck on a hanging call can never hold the process past
a bounded shutdown), a bounded FIFO and a count of jobs queued or running. The queue
also owns Bolt's listener pool (:attr:`WorkQueue.listeners`), counting listeners not yet
finished, so :meth:`WorkQueue.drain` can wait for an acknowledged event's listener to
hand over its job before waiting for the jobs.
"""

from __future__ import annotations

import logging
import queue
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


class WorkQueue:
    """Runs submitted jobs on ``workers`` threads, oldest first. A job must catch its own
    errors (one that raises is logged by type). At most ``limit`` jobs wait; more are
    refused and logged. ``on_change`` hears the number of jobs queued or running."""

    def __init__(self, workers: int = DEFAULT_WORKERS, limit: int = DEFAULT_LIMIT, *,
                 on_change: Callable[[int], None] | None = None, name: str = "gmcbot-work",
                 listeners: int = DEFAULT_LISTENERS) -> None:
        if workers < 1 or limit < 1 or listeners < 1:
            raise ValueError("workers, limit and listeners must be at least 1")
        self.workers = workers
        self.limit = limit
        self.refused = 0
        self.listeners = CountingExecutor(listeners, f"{name}-listener")
        self._on_change = on_change
        self._jobs: queue.Queue[Callable[[], object] | None] = queue.Queue()
        self._cond = threading.Condition()
        self._active = 0
        self._closed = False
        self._threads = [threading.Thread(target=self._loop, name=f"{name}-{i}", daemon=True) for i in range(workers)]
        for thread in self._threads:
            thread.start()

    @property
    def active(self) -> int:
        """Jobs queued or running."""
        with self._cond:
            return self._active

    def submit(self, job: Callable[[], object]) -> bool:
        """Queue ``job``; False when the queue is full or closed (the job will not run)."""
        with self._cond:
            if self._closed or self._active >= self.limit:
                self.refused += 1
                log.error("slack work queue %s: a job was refused (%d refused so far)",
                          "closed" if self._closed else "full", self.refused)
                return False
            self._active += 1
            count = self._active
        self._changed(count)
        self._jobs.put(job)
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
            unfinished = self._active
        for _ in self._threads:
            self._jobs.put(None)
        self.listeners.shutdown(wait=False, cancel_futures=True)
        return unfinished + listening

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
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
