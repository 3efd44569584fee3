"""Prometheus metrics for one bot: answers, screenings, flags, platform errors and retries.

Each :class:`Metrics` owns its own ``CollectorRegistry`` (no process-global state), so
several bots or apps in one process (tests) never collide; a process normally has one,
held by its :class:`bot.service.GuidanceBot` as ``bot.metrics`` and served at
``/metrics`` in Slack's HTTP mode. Labels are fixed vocabularies (statuses, categories,
API method names, reasons): never message text, user ids or channel ids.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Seconds: from a few milliseconds (hashing embedder, warm MiniLM) to a slow cold call.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The bot's counters, histograms and gauges in a private registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.answers = Counter("gmcbot_answers", "Questions answered, by answer status", ["status"], registry=r)
        self.answer_seconds = Histogram(
            "gmcbot_answer_seconds", "Seconds per ask call (one or a batch)", buckets=LATENCY_BUCKETS, registry=r
        )
        self.screenings = Counter(
            "gmcbot_screenings", "Messages screened, by outcome (flagged or clear)", ["outcome"], registry=r
        )
        self.screening_seconds = Histogram(
            "gmcbot_screening_seconds", "Seconds per screen call (one or a batch)", buckets=LATENCY_BUCKETS, registry=r
        )
        self.flags = Counter("gmcbot_flags", "Flags raised by screening, by category", ["category"], registry=r)
        self.failures = Counter(
            "gmcbot_core_failures", "ask or screen calls that raised, by operation", ["operation"], registry=r
        )
        self.platform_requests = Counter(
            "gmcbot_platform_requests", "Inbound platform requests, by kind", ["platform", "kind"], registry=r
        )
        self.platform_errors = Counter(
            "gmcbot_platform_errors",
            "Outbound platform API calls that failed (after retries), by API method",
            ["platform", "method"],
            registry=r,
        )
        self.platform_retries = Counter(
            "gmcbot_platform_retries",
            "Outbound platform API calls retried, by reason",
            ["platform", "reason"],
            registry=r,
        )
        self.ack_seconds = Histogram(
            "gmcbot_ack_seconds",
            "Seconds from receiving a platform request to answering it (the acknowledgement)",
            ["platform"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.work_in_flight = Gauge(
            "gmcbot_work_in_flight",
            "Listener jobs queued or running after the acknowledgement",
            ["platform"],
            registry=r,
        )
        self.jobs = Counter(
            "gmcbot_jobs",
            "Durable jobs by outcome: accepted, duplicate, not_durable (database away), replayed, finished, expired;"
            " and effects a crash left under way: confirmed (the platform had it), resent (it had not),"
            " uncertain (it cannot be asked: not repeated)",
            ["outcome"],
            registry=r,
        )
        self.backpressure = Counter(
            "gmcbot_backpressure",
            "Requests refused with 503 (not acknowledged, so the platform retries) because the work queue was full",
            ["platform"],
            registry=r,
        )
        self.ready = Gauge("gmcbot_ready", "1 when the index is loaded and the bot is not shutting down", registry=r)
        self.store_pending = Gauge("gmcbot_store_pending_writes", "Audit records waiting for the database", registry=r)

    def track_pending(self, count: Callable[[], int]) -> None:
        """Report ``count()`` as the store's waiting writes at each scrape."""
        self.store_pending.set_function(lambda: float(count()))

    def retry_counter(self, platform: str) -> Callable[[str], None]:
        """A callback counting one retry of ``platform``'s API for a reason."""
        return lambda reason: self.platform_retries.labels(platform, reason).inc()

    def error_counter(self, platform: str) -> Callable[[str], None]:
        """A callback counting one failed call of ``platform``'s API method."""
        return lambda method: self.platform_errors.labels(platform, method).inc()

    def render(self) -> tuple[bytes, str]:
        """The text exposition format and its content type, for a ``/metrics`` endpoint."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
