"""The database going away under the running Slack app, and coming back: answers and
notices go on during the outage, duplicates are still dropped, and every flag reaches
the database when it returns. On SQLite and PostgreSQL (through a TCP forwarder that is
cut and restored; the ``outage`` fixture is the store tests')."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.service import GuidanceBot
from bot.store import SqlRecords
from bot.types import ChannelSettings, Platform
from index.embedders import HashingEmbedder
from tests.adapters.slack_harness import running_slack
from tests.db.test_db_outage import Outage, wait_until
from tests.fakes.slack_api import BOT_USER_ID, RESPONSE_METHOD, TEAM_ID, FakeSlackApi
from tests.load.world import metric_value

RISKY = "Patient in resus is John Carter, NHS no 943 476 5919"
QUESTION = "can I reply to a patient on Twitter?"


def test_answers_and_notices_go_on_through_an_outage_and_flags_are_written_after(
    outage: Outage, open_store: Callable[..., SqlRecords], faults_data_dir: Path
) -> None:
    store = open_store(outage.settings, busy_timeout=0.2)
    settings = outage.settings.replace(data_dir=faults_data_dir)
    bot = GuidanceBot(settings, embedder=HashingEmbedder(), records=store)
    bot.update_channel_settings(
        ChannelSettings(Platform.SLACK, TEAM_ID, "C0WARD", monitored=True, moderators_channel="C0MODS")
    )
    bot.warm_up(screening=True)
    with FakeSlackApi() as fake, running_slack(fake, faults_data_dir, bot=bot) as slack:
        outage.cut()
        refs = []
        for i in range(4):
            event = slack.message(RISKY, user=f"UR{i}", ts=f"1700000200.00000{i}")
            refs.append(event["ts"].replace(".", ""))
            assert slack.event(event, event_id=f"EvOut{i}")[0] == 200
        assert (
            slack.event(slack.message(RISKY, user="UR0", ts="1700000200.000000"), event_id="EvOut0", retry_num=1)[0]
            == 200
        )  # Slack's retry of the first: still dropped
        for i in range(3):
            assert slack.command(QUESTION, user=f"UC{i}", name=f"out-{i}")[0] == 200
            mention = {
                "type": "app_mention",
                "user": f"UM{i}",
                "text": f"<@{BOT_USER_ID}> {QUESTION}",
                "ts": f"1700000300.00000{i}",
                "channel": "C0ASK",
            }
            assert slack.event(mention, event_id=f"EvMention{i}")[0] == 200
        fake.wait_for("chat.postEphemeral", 4)
        fake.wait_for(RESPONSE_METHOD, 3)
        fake.wait_for("chat.postMessage", 7)  # 3 answers, 4 moderators' notices
        fake.settle()
        assert len(fake.calls_to("chat.postEphemeral")) == 4 and len(fake.calls_to("chat.postMessage")) == 7
        assert store.pending >= 4  # the flags (and claims) wait in memory
        # No durable job could be written: every delivery was worked from memory, and counted.
        metrics = slack.bot.metrics.render()[0].decode()
        assert metric_value(metrics, "gmcbot_jobs_total", outcome="not_durable") == 11  # the retry too
        assert metric_value(metrics, "gmcbot_jobs_total", outcome="accepted") == 0

        outage.restore()
        assert wait_until(lambda: store.pending == 0, 30), f"{store.pending} records still waiting"
    flags = store.flags()
    assert sorted(f.message_ref.rsplit("/p", 1)[-1] for f in flags) == sorted(refs)
    assert store.claim_event("slack", "EvOut3") is False  # the claims made in the outage were written too
