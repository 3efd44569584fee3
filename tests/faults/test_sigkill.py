"""SIGKILL in the middle of a burst (an out-of-memory kill under ``MemoryMax``, a host
crash): every delivery acknowledged before the kill is worked after a restart, once
(answer, notice, moderators' notice and audit record), on SQLite and PostgreSQL; and a
worker killed while holding leases has its jobs taken over by another that is alive.

The child runs ``gmcbot serve slack --http`` with a 2-second job lease so a restart
takes the jobs over quickly (the default is 30 s)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.fakes.slack_api import FakeSlackApi
from tests.load.world import (
    Item,
    ServedSlack,
    dump,
    fire,
    make_plan,
    prepare_world,
    served_slack,
    stored_flags,
    tally,
    wait_for_deliveries,
)

pytestmark = pytest.mark.load

EVENTS = 300
SENDERS = 50
LEASE = {"GMCBOT_JOB_LEASE_SECONDS": "2"}
SLOW = {"chat.getPermalink": 0.1}


def _kill_after(served: ServedSlack, items: list[Item], acked: int, timeout: float = 60.0) -> None:
    """SIGKILL the child once ``acked`` deliveries have their acknowledgement."""
    deadline = time.monotonic() + timeout
    while sum(it.status == 200 for it in items) < acked and time.monotonic() < deadline:
        time.sleep(0.001)
    served.process.kill()
    served.stop_seconds = time.monotonic()  # here: when it was killed
    served.process.wait(10)


def _job_steps(url: str) -> dict[str, str]:
    """Each stored job's id and recorded steps (JSON)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {str(k): str(v) for k, v in conn.execute(text("SELECT id, steps FROM event_jobs")).all()}
    finally:
        engine.dispose()


# Effects Slack cannot be asked about afterwards, by kind of delivery: a /gmc answer
# (response URL) and a flag's private notice (ephemeral). Mentions' answers and the
# moderators' notes are posts whose metadata names the effect.
UNCHECKABLE = {"command": ("answer",), "message": ("notice",)}


def _under_way(steps: dict[str, str]) -> set[tuple[str, str]]:
    """(job id, step) of every effect stored as under way (its call's return unknown)."""
    return {
        (job, name) for job, text_ in steps.items() for name, state in json.loads(text_).items() if state == "sending"
    }


def _kind(job: str, by_index: dict[int, Item]) -> str:
    """The kind of delivery of a job (commands are kept by trigger id)."""
    if job.startswith("slack:command:"):
        return "command"
    return next((it.kind for it in by_index.values() if it.event_id and job == "slack:" + it.event_id), "")


def _env(database_url: str) -> dict[str, str]:
    return {**LEASE, **({"GMCBOT_DATABASE_URL": database_url} if database_url.startswith("postgresql") else {})}


def test_sigkill_mid_burst_then_restart_loses_and_doubles_nothing(tmp_path: Path, database_url: str) -> None:
    url = database_url if database_url.startswith("postgresql") else ""
    data_dir = tmp_path / "data"
    items = make_plan(EVENTS, prepare_world(data_dir, "hashing", url), run="K")
    # A slow read (the permalink screening asks for, 100 ms) makes work queue up behind
    # the acknowledgements; posts are answered at once.
    with FakeSlackApi(slow=SLOW) as fake:
        with served_slack(fake, data_dir, env=_env(url)) as first:
            burst = threading.Thread(target=fire, args=(first.url, fake, items, SENDERS), name="burst")
            burst.start()
            _kill_after(first, items, EVENTS // 3)
            burst.join(60)
        acked_at_kill = sum(it.status == 200 for it in items)
        done_before = len(fake.posted())
        steps_at_kill = _job_steps(url or f"sqlite:///{data_dir / 'gmcbot.sqlite3'}")
        with served_slack(fake, data_dir, env=_env(url)) as second:
            wait_for_deliveries(fake, items, 90)
            second.terminate()
        counted = tally(fake, items, stored_flags(data_dir, "hashing", url))
    by_index = {it.index: it for it in items if it.retry_of is None}
    under_way = _under_way(steps_at_kill)
    uncheckable = {(job, step) for job, step in under_way if step in UNCHECKABLE.get(_kind(job, by_index), ())}
    lost_events = {"slack:" + by_index[i].event_id for i in counted.lost if by_index[i].event_id}
    lost_commands = sum(1 for i in counted.lost if by_index[i].kind == "command")
    shown = dump(
        {
            **counted.summary(),
            "acked_at_kill": acked_at_kill,
            "posted_before_restart": done_before,
            "jobs_at_kill": len(steps_at_kill),
            "effects_under_way_at_kill": sorted(under_way),
            "uncheckable_under_way_at_kill": sorted(uncheckable),
            "replay_found_posted": second.log.count("had arrived; not repeated"),
            "replay_found_missing": second.log.count("did not arrive; sending it"),
            "replay_not_repeated_unchecked": second.log.count("cannot be checked; not repeated"),
            "lost_kinds": [by_index[i].kind for i in counted.lost],
        }
    )
    shown += "\n" + second.log[-2000:]
    print(shown[:1500])  # the figures, for the report (pytest -s)
    assert first.process.returncode == -9, shown  # it really was killed
    assert 0 < counted.acked < counted.requests, shown  # mid-burst
    assert counted.owed > 0 and len(steps_at_kill) > 0, shown  # work was left behind...
    assert done_before < len(fake.posted()), shown  # ...and the restart did it
    # Nothing is done twice: a replay skips every effect that returned, and asks Slack
    # about a post that was under way (its metadata names the effect).
    assert (counted.duplicated, counted.unexpected) == ([], []), shown
    assert counted.flags_missing == 0 and counted.flags_doubled == 0, shown
    assert counted.moderator_posts == counted.flags_stored, shown  # moderators told exactly once
    # Nothing is lost but, at most, an effect Slack cannot be asked about (an ephemeral
    # notice, a response URL) whose step was stored in the instant before its request left.
    assert lost_events <= {job for job, _ in uncheckable}, shown
    assert lost_commands <= sum(1 for job, _ in uncheckable if job.startswith("slack:command:")), shown
    assert "replaying" in second.log, shown
    for item in items:
        assert item.text not in second.log and item.text not in first.log


def test_a_worker_killed_holding_leases_has_its_jobs_taken_over_by_a_live_one(tmp_path: Path) -> None:
    """Two workers share one SQLite store; the first is killed mid-burst; the second,
    never restarted, takes over its expired leases."""
    data_dir = tmp_path / "data"
    items = make_plan(150, prepare_world(data_dir, "hashing"), run="T", retries=0)
    with (
        FakeSlackApi(slow=SLOW) as fake,
        served_slack(fake, data_dir, env=LEASE) as survivor,
    ):
        with served_slack(fake, data_dir, env=LEASE) as doomed:
            burst = threading.Thread(target=fire, args=(doomed.url, fake, items, SENDERS), name="burst")
            burst.start()
            _kill_after(doomed, items, 50)
            burst.join(60)
        under_way = _under_way(_job_steps(f"sqlite:///{data_dir / 'gmcbot.sqlite3'}"))
        by_index = {it.index: it for it in items if it.retry_of is None}
        uncheckable = [(j, n) for j, n in under_way if n in UNCHECKABLE.get(_kind(j, by_index), ())]
        wait_for_deliveries(fake, items, 60)
        counted = tally(fake, items, stored_flags(data_dir, "hashing"))
        shown = dump({**counted.summary(), "effects_under_way_at_kill": sorted(under_way)})
        shown += "\n" + survivor.log[-2000:]
        print(shown[:1500])
        assert counted.owed > 0 and len(counted.lost) <= len(uncheckable), shown
        assert (counted.duplicated, counted.unexpected) == ([], []), shown
        assert counted.flags_missing == 0 and counted.flags_doubled == 0, shown
        assert counted.moderator_posts == counted.flags_stored, shown
        assert "replaying" in survivor.log, shown
