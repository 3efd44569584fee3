"""Section: load. ``gmcbot serve slack --http`` in a child process takes a burst of
signed Slack deliveries from concurrent senders (``/gmc`` commands, mentions, messages in
a monitored channel, about half of them risky, and Slack-style retries of some events),
then SIGTERM. Measured: acknowledgements within Slack's 3 s, lost and duplicated answers
and flags (what reached the fake Web API and the audit store against the plan), time to
acknowledge and to answer, throughput, the server's peak RSS and CPU, and the shutdown.

Full run: 1,000 events from 50 senders, with the run's embedder (MiniLM), and with the
hashing embedder (the adapter's own capacity, without the model's cost) on SQLite and, when
the server at ``$GMCBOT_TEST_POSTGRES_URL`` (default the local test database) answers, on
PostgreSQL. Smoke: 60 events from 10 senders, hashing, SQLite. The bounded CI form with
assertions is ``tests/load``.

Standalone: ``python -m benchmarks.load --events 1000 --senders 50 --embedder minilm``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.common import Context, Section, Table, fmt

FULL_SIZES = (1000, 50)
SMOKE_SIZES = (60, 10)


DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def measure(work_dir: Path, events: int, senders: int, embedder: str, postgres: bool = False) -> dict[str, Any]:
    """One run (see ``tests/load/world.py``); the figures as a dict. With ``postgres``, the
    audit store is a scratch schema on the test server."""
    from tests.load.world import run_load
    from tests.pgschema import scratch_schema

    work_dir.mkdir(parents=True, exist_ok=True)
    if not postgres:
        return run_load(work_dir, events, senders, embedder)
    with scratch_schema(os.environ.get("GMCBOT_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL, "gmcbot_load") as url:
        return run_load(work_dir, events, senders, embedder, database_url=url)


def _row(r: dict[str, Any]) -> list[str]:
    return [
        r["embedder"],
        r["database"].split("+", 1)[0],
        str(r["events"]),
        str(r["senders"]),
        str(r["requests"]),
        f"{r['acked_within_3s']}/{r['requests']}",
        str(r["lost"]),
        str(r["duplicated"]),
        f"{r['flags_stored']}/{r['flags_expected']}",
        fmt(r["ack_p50_ms"], 0),
        fmt(r["ack_p95_ms"], 0),
        fmt(r["ack_max_ms"], 0),
        fmt(r["question_p50_ms"], 0),
        fmt(r["question_p95_ms"], 0),
        fmt(r["notice_p50_ms"], 0),
        fmt(r["notice_p95_ms"], 0),
        fmt(r["requests_per_s"], 0),
        fmt(r["events_per_s_end_to_end"], 0),
        fmt(r["peak_rss_mib"], 0),
        fmt(r["server_cpu_seconds"], 1),
        f"{r['exit_code']} in {r['shutdown_seconds']:.1f} s",
    ]


COLUMNS = [
    "embedder",
    "store",
    "events",
    "senders",
    "requests",
    "acked ≤ 3 s",
    "lost",
    "duplicated",
    "flags stored",
    "ack p50 ms",
    "ack p95 ms",
    "ack max ms",
    "answer p50 ms",
    "answer p95 ms",
    "notice p50 ms",
    "notice p95 ms",
    "acks/s",
    "events/s end to end",
    "peak RSS MiB",
    "server CPU s",
    "SIGTERM exit",
]


def table(results: Sequence[dict[str, Any]]) -> Table:
    return Table(
        "Load: Slack HTTP mode, a burst from concurrent senders",
        COLUMNS,
        [_row(r) for r in results],
        note="Requests include Slack-style retries of some events (same event id, a retry header); each "
        "event is expected to produce exactly one answer or one flag (private notice, moderators' "
        "notice, audit record), or nothing for a safe message. Ack times are measured by the senders "
        "(connect to response); answer times (questions: `/gmc` and mentions) and notice times (the private "
        "notice of a flagged message) from sending to the reply reaching the fake Web API. "
        "Senders, fake API and server share this machine's cores.",
    )


def run(ctx: Context) -> Section:
    events, senders = SMOKE_SIZES if ctx.smoke else FULL_SIZES
    runs = [(ctx.embedder_name, False)]
    if not ctx.smoke:
        runs += [("hashing", False), ("hashing", True)] if ctx.embedder_name != "hashing" else [("hashing", True)]
    results: list[dict[str, Any]] = []
    notes: list[str] = []
    for name, postgres in runs:
        try:
            results.append(
                measure(ctx.data_dir(f"load-{name}-{'pg' if postgres else 'sqlite'}"), events, senders, name, postgres)
            )
        except Exception as exc:
            if not postgres:
                raise
            notes.append(f"The PostgreSQL run was skipped: {type(exc).__name__} (no test server).")
    section = Section("load", "Load", tables=[table(results)], notes=notes)
    first = results[0]
    section.summary.append(
        f"Load ({first['embedder']}): {first['events']} events from {first['senders']} senders, "
        f"{first['acked_within_3s']}/{first['requests']} acknowledged within 3 s (p95 {first['ack_p95_ms']:.0f} ms), "
        f"{first['lost']} lost, {first['duplicated']} duplicated, answers p95 {first['question_p95_ms']:.0f} ms "
        f"(flag notices p95 {first['notice_p95_ms']:.0f} ms), "
        f"{first['events_per_s_end_to_end']:.0f} events/s, peak RSS {first['peak_rss_mib']:.0f} MiB"
    )
    section.headline = {f"{r['embedder']}-{r['database'].split('+', 1)[0]}": r for r in results}
    return section


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=FULL_SIZES[0])
    parser.add_argument("--senders", type=int, default=FULL_SIZES[1])
    parser.add_argument("--embedder", choices=("minilm", "hashing"), default="minilm")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="audit store in a scratch schema on $GMCBOT_TEST_POSTGRES_URL (default: SQLite)",
    )
    parser.add_argument("--work-dir", type=Path, help="scratch folder (default: a temporary one)")
    args = parser.parse_args(argv)
    if args.events < 1 or args.senders < 1:
        parser.error("--events and --senders must be at least 1")
    import tempfile

    with tempfile.TemporaryDirectory(prefix="gmcbot-load-") as tmp:
        result = measure(args.work_dir or Path(tmp), args.events, args.senders, args.embedder, args.postgres)
    print(table([result]).text())
    print(json.dumps(result, default=str))
    return (
        0
        if result["lost"] == 0 and result["duplicated"] == 0 and result["acked_within_3s"] == result["requests"]
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
