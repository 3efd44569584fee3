"""Durable Slack deliveries: the Bolt middleware that stores each event and ``/gmc``
command as a job (bot/jobs.py) before Bolt acknowledges it, refuses work over the queue's
bound with 503 (not acknowledged, so Slack retries), and replays jobs taken over after a
crash through the same app.

Keys: an Events API delivery by its ``event_id`` (Slack's retries repeat it, so a retry
of a claimed event is acknowledged and dropped here); a slash command by its
``trigger_id`` (unique per invocation). Button clicks are not kept (they are quick and a
replayed decision would be refused as already made).

What the listeners see in Bolt's ``context``: :data:`JOB` (the job to finish when the
work ends) or, when the database could not store it, :data:`CLAIM` (the event id to
claim in memory, as before durable jobs). A replay carries :data:`REPLAY`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse

from adapters.slack.translate import mapping_of, text_of
from adapters.slack.work import WorkQueue
from bot import Durable, GuidanceBot, Job, StoreUnavailable

log = logging.getLogger("adapters.slack")

PLATFORM = "slack"
JOB = "gmcbot_job"
CLAIM = "gmcbot_claim"
REPLAY = "gmcbot_replay"
TAKEN = "gmcbot_taken"
KEPT_EVENTS = frozenset({"message", "app_mention", "app_home_opened"})
BUSY = "gmcbot is busy; Slack will retry"


def job_key(body: dict[str, Any]) -> str:
    """The key a delivery is kept under, or "" for one not kept."""
    if text_of(body, "type") == "event_callback" and text_of(mapping_of(body, "event"), "type") in KEPT_EVENTS:
        return text_of(body, "event_id")
    if text_of(body, "command") and text_of(body, "trigger_id"):
        return "command:" + text_of(body, "trigger_id")
    return ""


class DurableDeliveries:
    """The middleware (:meth:`keep`) and the replay (:meth:`replay`) for one app."""

    def __init__(self, bot: GuidanceBot, durable: Durable, work: WorkQueue) -> None:
        self.bot = bot
        self.durable = durable
        self.work = work
        self.app: App | None = None

    def keep(self, body: dict[str, Any], context: dict[str, Any], next: Callable[[], Any]) -> Any:
        """Store the delivery before Bolt acknowledges it (see the module docstring)."""
        replayed = context.get(REPLAY)
        if isinstance(replayed, Job):
            context[JOB] = replayed
            return next()
        key = job_key(body)
        if not key:
            return next()
        if self.work.active >= self.work.limit:
            self.bot.metrics.backpressure.labels(PLATFORM).inc()
            log.warning("slack work queue full (%d jobs): answered 503 so Slack retries", self.work.active)
            return BoltResponse(status=503, body=BUSY)
        try:
            job = self.durable.accept(PLATFORM, key, body)
        except StoreUnavailable:
            # The database is away: work from memory as before (claim in memory), counted.
            self.bot.metrics.jobs.labels("not_durable").inc()
            context[CLAIM] = key
            return next()
        if job is None:
            log.info("slack duplicate event %s ignored", key)
            self.bot.metrics.platform_requests.labels(PLATFORM, "duplicate").inc()
            return BoltResponse(status=200, body="")
        context[JOB] = job
        response = next()
        if getattr(response, "status", 200) >= 300:  # no listener took it: nothing left to do
            self.durable.finish(job)
        return response

    def replay(self, job: Job) -> bool:
        """Dispatch a taken-over job through the app again (no signature: it was checked
        when the delivery arrived). False when the app is not there yet."""
        if self.app is None or self.work.active >= self.work.limit:
            return False
        self.app.dispatch(BoltRequest(body=job.payload, mode="socket_mode", context={REPLAY: job}))
        return True

    def settle(self, context: dict[str, Any]) -> None:
        """A listener returned: finish its job if it handed over no work (an ignored
        message, a channel not monitored)."""
        job = context.get(JOB)
        if isinstance(job, Job) and not context.get(TAKEN):
            self.durable.finish(job)
