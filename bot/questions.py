"""References to asked questions, so that platform payloads never carry question text.

An answer posted in a channel carries buttons (Helpful, Not helpful, More, Share) whose
values anyone in the channel can read through the platform's API, and which stay in
exports. Those values therefore hold only a reference (random, 16 hex characters) and the
cited paragraph ids. The question itself stays here, in memory, and only as its safe
excerpt (:mod:`bot.screening.safe_excerpt`), for the feedback record; after
:data:`TTL_SECONDS`, beyond :data:`MAX_QUESTIONS` references or in another process, a
reference finds nothing and the feedback is stored without its question.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

MAX_QUESTIONS = 10_000
TTL_SECONDS = 24 * 3600
REF_CHARS = 16


class QuestionRefs:
    """A bounded, expiring map from reference to a question's safe excerpt."""

    def __init__(
        self,
        excerpt: Callable[[str], str],
        clock: Callable[[], float] = time.monotonic,
        limit: int = MAX_QUESTIONS,
        ttl: float = TTL_SECONDS,
    ) -> None:
        self._excerpt = excerpt
        self._clock = clock
        self._limit = limit
        self._ttl = ttl
        self._items: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, question: str) -> str:
        """Keep ``question``'s safe excerpt; return its new reference."""
        excerpt = self._excerpt(question)
        ref = secrets.token_hex(REF_CHARS // 2)
        with self._lock:
            self._items[ref] = (self._clock(), excerpt)
            while len(self._items) > self._limit:
                self._items.popitem(last=False)
        return ref

    def get(self, ref: str) -> str:
        """The safe excerpt of the question ``ref`` names; ``""`` when unknown or expired."""
        with self._lock:
            item = self._items.get(ref) if isinstance(ref, str) else None
            if item is None:
                return ""
            if self._clock() - item[0] > self._ttl:
                del self._items[ref]
                return ""
            return item[1]
