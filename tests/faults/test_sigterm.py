"""SIGTERM in the middle of a burst (a deploy's rolling restart): the server stops taking
requests, every delivery it acknowledged is still answered or flagged (notice sent,
record stored) within the drain bound, and it exits 0. Slack re-sends what was not
acknowledged, to another worker. The child logs in JSON (``GMCBOT_LOG_JSON=1``): every
stderr line is one JSON object, and none carries message text."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pytest

from tests.fakes.slack_api import FakeSlackApi
from tests.load.world import dump, fire, make_plan, prepare_world, served_slack, stored_flags, tally

pytestmark = pytest.mark.load

EVENTS = 600
DRAIN_SECONDS = 15.0


def test_sigterm_during_a_burst_finishes_acknowledged_work_and_exits_cleanly(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    items = make_plan(EVENTS, prepare_world(data_dir, "hashing"), run="S")
    # A distant API (50 ms a call) makes the work queue up behind the acknowledgements.
    with (
        FakeSlackApi(latency=0.05) as fake,
        served_slack(
            fake, data_dir, env={"GMCBOT_LOG_JSON": "1"}, args=["--drain-seconds", str(DRAIN_SECONDS)]
        ) as served,
    ):
        burst = threading.Thread(target=fire, args=(served.url, fake, items, 50), name="burst")
        burst.start()
        deadline = time.monotonic() + 60
        while sum(it.status == 200 for it in items) < EVENTS // 5 and time.monotonic() < deadline:
            time.sleep(0.002)
        exit_code = served.terminate(timeout=DRAIN_SECONDS + 30)
        burst.join(60)
    counted = tally(fake, items, stored_flags(data_dir, "hashing"))
    shown = dump(counted.summary()) + "\n" + served.log[-2000:]
    finished = [re.search(r"finished (\d+) queued job", line) for line in served.lines]
    queued = max((int(m.group(1)) for m in finished if m), default=0)
    assert queued > 0, "nothing was queued when SIGTERM came; the test would prove nothing\n" + served.log[-2000:]
    assert exit_code == 0, shown
    assert served.stop_seconds < DRAIN_SECONDS + 5, shown
    assert 0 < counted.acked < counted.requests and counted.not_acked > 0, shown  # it stopped mid-burst
    assert counted.owed > 0 and counted.delivered == counted.owed, shown
    assert (counted.lost, counted.duplicated, counted.unexpected) == ([], [], []), shown
    assert counted.flags_missing == 0 and counted.flags_doubled == 0, shown
    assert all(it.status in (0, 200) for it in items), shown  # refused connections, never errors

    records = [json.loads(line) for line in served.lines if line.strip()]  # every line is JSON
    messages = [r["message"] for r in records]
    assert any("SIGTERM received" in m for m in messages), messages
    assert any(m.startswith("Slack app running") for m in messages), messages
    for item in items:
        assert item.text not in served.log
