"""The database goes away, the bot flags messages from memory, then it is stopped with
SIGTERM before the database returns: the audit records still waiting are spilled to an
encrypted file in the data folder and written by the next start (issue 16). PostgreSQL, its
TCP connection cut and new ones refused, against the real CLI in a child process. (The
SQLite outage of the store tests, the file held under an exclusive lock, makes every write
wait out the 5-second busy timeout, so acknowledgements pass Slack's 3 seconds; the SQLite
spill and replay are tested in-process in tests/db/test_db_outage.py.)"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.adapters.slack_harness import SlackHarness
from tests.db.test_db_outage import Outage
from tests.fakes.slack_api import FakeSlackApi
from tests.load.world import WARD_CHANNEL, prepare_world, served_slack, stored_flags

pytestmark = pytest.mark.load

RISKY = "Patient in resus is John Carter, NHS no 943 476 5919"


def test_records_waiting_on_an_outage_survive_sigterm_and_are_written_at_the_next_start(
    outage: Outage, tmp_path: Path
) -> None:
    url = outage.settings.database_url
    if not url.startswith("postgresql"):
        pytest.skip("a locked SQLite file delays every acknowledgement by the busy timeout; see the docstring")
    data_dir = tmp_path / "data"
    prepare_world(data_dir, "hashing", url)
    env = {"GMCBOT_DATABASE_URL": url}
    with FakeSlackApi() as fake:
        with served_slack(fake, data_dir, env=env) as first:
            harness = SlackHarness(fake, None, first.url)  # type: ignore[arg-type]  # the bot lives in the child
            for i in range(4):
                if i == 1:  # the first was stored (and the channel's settings read) before the outage
                    fake.wait_for("chat.postEphemeral", 1, timeout=30)
                    outage.cut()
                event = harness.message(RISKY, user=f"USP{i}", channel=WARD_CHANNEL, ts=f"1700000400.00000{i}")
                assert harness.event(event, event_id=f"EvSpill{i}")[0] == 200
            fake.wait_for("chat.postEphemeral", 4, timeout=60)  # screened and noticed from memory
            assert first.terminate(timeout=60) == 0
        outage.restore()
        shown = first.log[-3000:]
        assert "kept encrypted in audit-spill-" in first.log, shown
        assert "could not be written" not in first.log, shown
        [spilled] = list(data_dir.glob("audit-spill-*.bin"))
        assert spilled.stat().st_mode & 0o077 == 0 and b"USP" not in spilled.read_bytes()
        with served_slack(fake, data_dir, env=env) as second:
            deadline = time.monotonic() + 10
            while "an earlier run kept" not in second.log and time.monotonic() < deadline:
                time.sleep(0.1)
            assert "an earlier run kept" in second.log, second.log[-3000:]
    refs = stored_flags(data_dir, "hashing", url)
    assert sorted(r.rsplit("/p", 1)[-1] for r in refs) == [f"170000040000000{i}" for i in range(4)], refs
    assert list(data_dir.glob("audit-spill-*")) == []
    for line in (first.log + second.log).splitlines():
        assert "John Carter" not in line and "943 476" not in line
