"""A loopback world for load and fault runs: ``gmcbot serve slack --http`` in a child
process, the fake Web API and the senders in this one, and the bookkeeping that proves
nothing was lost or doubled.

- :func:`served_slack` runs the real CLI (so the run covers start-up, readiness, JSON
  logs and SIGTERM) against a :class:`~tests.fakes.slack_api.FakeSlackApi`;
- :func:`make_plan` builds a burst of Slack deliveries: ``/gmc`` commands, mentions and
  messages in a monitored channel (some risky), each from its own user, plus Slack-style
  retries of some events; what each should produce is worked out beforehand by screening
  the same translated message with a bot on the same corpus, settings and embedder;
- :func:`fire` sends the burst from concurrent senders, timing each acknowledgement;
- :func:`tally` matches what reached the fake Web API and the audit store against the
  plan: delivered, lost, duplicated, unexpected, and the time from sending to delivery.

Used by ``tests/load``, ``tests/faults`` and ``benchmarks/load.py``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from adapters.slack.translate import route_message
from bot.config import Settings
from bot.evaluation import read_jsonl
from bot.service import GuidanceBot
from bot.types import ChannelSettings, Platform
from tests.adapters.slack_harness import SIGNING_SECRET, SlackHarness
from tests.fakes.slack_api import BOT_USER_ID, RESPONSE_METHOD, TEAM_ID, Call, FakeSlackApi

ROOT = Path(__file__).resolve().parents[2]
ASK_CHANNEL = "C0ASK"
WARD_CHANNEL = "C0WARD"
MODS_CHANNEL = "C0MODS"
ACK_LIMIT = 3.0  # Slack's limit for an acknowledgement
_READY_RE = re.compile(r"Slack app running \((http://\S+)\)")


# -- the server in a child process ------------------------------------------------------------
@dataclass
class ServedSlack:
    """The child process running ``gmcbot serve slack --http``."""

    process: subprocess.Popen[str]
    url: str = ""
    lines: list[str] = field(default_factory=list)
    exit_code: int | None = None
    stop_seconds: float = 0.0

    @property
    def base(self) -> str:
        return self.url.rsplit("/slack/", 1)[0]

    def get(self, path: str, timeout: float = 5.0) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")

    def peak_rss(self) -> int:
        """The child's peak resident set size so far, in bytes (``VmHWM``)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0

    def cpu_seconds(self) -> float:
        """CPU seconds (user and system) the child has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM, then wait; returns the exit code (and sets ``stop_seconds``)."""
        if self.exit_code is None:
            started = time.monotonic()
            self.process.send_signal(signal.SIGTERM)
            self.exit_code = self.process.wait(timeout)
            self.stop_seconds = time.monotonic() - started
        return self.exit_code

    @property
    def log(self) -> str:
        return "\n".join(self.lines)


def child_env(fake: FakeSlackApi, token: str, extra: dict[str, str] | None = None, root: Path = ROOT) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GMCBOT_", "SLACK_"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "GMCBOT_SLACK_API_URL": fake.api_url,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(root) + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else ""),
        }
    )
    env.update(extra or {})
    return env


@contextmanager
def served_slack(
    fake: FakeSlackApi,
    data_dir: Path,
    *,
    embedder: str = "hashing",
    token: str = "xoxb-test",
    env: dict[str, str] | None = None,
    args: Sequence[str] = (),
    start_timeout: float = 120.0,
    root: Path = ROOT,
) -> Iterator[ServedSlack]:
    """Start the CLI's HTTP server on 127.0.0.1:0 and wait until it says it is ready.
    On leaving, the child is sent SIGTERM (if still running) and waited for. ``root`` is
    the source tree the child runs (another checkout for before/after benchmarks)."""
    cmd = [
        sys.executable,
        "-m",
        "adapters.cli" if (root / "adapters" / "cli").is_dir() else "bot.cli",  # bot.cli before issue 15
        "--data-dir",
        str(data_dir),
        "--embedder",
        embedder,
        "serve",
        "slack",
        "--http",
        "--port",
        "0",
        *args,
    ]
    process = subprocess.Popen(
        cmd,
        cwd=data_dir,
        env=child_env(fake, token, env, root),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = ServedSlack(process)
    ready = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            served.lines.append(line.rstrip("\n"))
            found = _READY_RE.search(line)
            if found:
                served.url = found.group(1)
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, name="served-slack-stderr", daemon=True)
    reader.start()
    try:
        ready.wait(start_timeout)
        if not served.url:
            process.kill()
            process.wait(10)
            raise AssertionError(f"the server did not start (exit {process.returncode}):\n{served.log[-3000:]}")
        yield served
    finally:
        if process.poll() is None:
            try:
                served.terminate()
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        served.exit_code = process.returncode if served.exit_code is None else served.exit_code
        reader.join(10)


# -- the plan -------------------------------------------------------------------------------------
@dataclass
class Item:
    """One delivery: ``kind`` is command, mention or message; ``expect`` is answer,
    flag or nothing. ``retry_of`` names the event a Slack retry repeats."""

    index: int
    kind: str
    text: str
    user: str
    ts: str
    event_id: str = ""
    expect: str = "answer"
    retry_of: int | None = None
    sent: float = 0.0
    acked: float = 0.0
    status: int = 0
    error: str = ""

    @property
    def ack_seconds(self) -> float:
        return self.acked - self.sent if self.status else float("inf")

    @property
    def name(self) -> str:
        return f"c{self.index}"


def eval_texts() -> tuple[list[str], list[tuple[str, bool]]]:
    questions = [r["question"] for r in read_jsonl(ROOT / "eval" / "questions.jsonl", ("question",))]
    messages = [(r["text"], bool(r["risky"])) for r in read_jsonl(ROOT / "eval" / "messages.jsonl", ("text", "risky"))]
    return questions, messages


def settings_for(data_dir: Path, embedder: str, database_url: str = "", embed_backend: str = "auto") -> Settings:
    return Settings(data_dir=data_dir, embedder=embedder, database_url=database_url, embed_backend=embed_backend)


def prepare_world(data_dir: Path, embedder: str, database_url: str = "", embed_backend: str = "auto") -> GuidanceBot:
    """Build the index and screening cache the child will load, and set the ward channel
    monitored with a moderators' channel, in the store the child will open (SQLite in
    ``data_dir`` unless ``database_url``)."""
    from bot.store import open_records

    settings = settings_for(data_dir, embedder, database_url, embed_backend)
    records = open_records(settings)
    bot = GuidanceBot(settings, records=records)
    bot.warm_up(screening=True)
    bot.update_channel_settings(
        ChannelSettings(Platform.SLACK, TEAM_ID, WARD_CHANNEL, monitored=True, moderators_channel=MODS_CHANNEL)
    )
    records.close()
    return bot


def message_event(item: Item) -> dict[str, Any]:
    return {
        "type": "message",
        "user": item.user,
        "text": item.text,
        "ts": item.ts,
        "event_ts": item.ts,
        "team": TEAM_ID,
        "channel": WARD_CHANNEL,
        "channel_type": "channel",
    }


def mention_event(item: Item) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": item.user,
        "text": f"<@{BOT_USER_ID}> {item.text}",
        "ts": item.ts,
        "event_ts": item.ts,
        "team": TEAM_ID,
        "channel": ASK_CHANNEL,
    }


def make_plan(
    n: int,
    bot: GuidanceBot,
    *,
    retries: float = 0.03,
    mix: tuple[float, float] = (0.3, 0.25),
    risky_share: float = 0.5,
    run: str = "L",
) -> list[Item]:
    """``n`` deliveries (commands, mentions, then channel messages by ``mix``), plus about
    ``retries * n`` Slack retries of earlier events. Channel messages alternate risky and
    safe evaluation lines by ``risky_share``; the expected outcome of each is what ``bot``
    screens it to."""
    questions, messages = eval_texts()
    risky = [t for t, r in messages if r]
    safe = [t for t, r in messages if not r]
    rng = np.random.default_rng(20241124)
    items: list[Item] = []
    outcome: dict[str, str] = {}
    for i in range(n):
        roll = rng.random()
        ts = f"1700{i:06d}.{i % 1000:03d}100"
        user = f"U{run}{i:07d}"
        if roll < mix[0]:
            items.append(Item(i, "command", questions[i % len(questions)], user, ts))
        elif roll < mix[0] + mix[1]:
            items.append(Item(i, "mention", questions[(i * 7) % len(questions)], user, ts, event_id=f"Ev{run}{i:08d}"))
        else:
            pool = risky if rng.random() < risky_share else safe
            item = Item(i, "message", pool[int(rng.integers(len(pool)))], user, ts, event_id=f"Ev{run}{i:08d}")
            if item.text not in outcome:
                _, message = route_message(message_event(item), TEAM_ID, BOT_USER_ID)
                outcome[item.text] = "flag" if message is not None and bot.screen(message).flag else "nothing"
            item.expect = outcome[item.text]
            items.append(item)
    events = [it for it in items if it.event_id]
    for k, original in enumerate(events[:: max(1, round(1 / retries))] if retries > 0 else []):
        # Slack retries an event it thinks was not acknowledged: same event id, a retry header.
        position = min(len(items), original.index + 5 + k % 20)
        items.insert(
            position,
            Item(
                n + k,
                original.kind,
                original.text,
                original.user,
                original.ts,
                event_id=original.event_id,
                expect="duplicate",
                retry_of=original.index,
            ),
        )
    return items


# -- sending --------------------------------------------------------------------------------------
def send(harness: SlackHarness, item: Item) -> None:
    """Deliver one item, recording when it was sent and acknowledged."""
    item.sent = time.monotonic()
    try:
        if item.kind == "command":
            status, _ = harness.command(item.text, user=item.user, channel=ASK_CHANNEL, name=item.name)
        else:
            event = mention_event(item) if item.kind == "mention" else message_event(item)
            status, _ = harness.event(event, event_id=item.event_id, retry_num=1 if item.retry_of is not None else None)
    except (OSError, urllib.error.URLError) as exc:
        item.error = type(exc).__name__
        return
    item.acked = time.monotonic()
    item.status = status


def fire(
    url: str, fake: FakeSlackApi, items: Sequence[Item], senders: int, stop_after: threading.Event | None = None
) -> float:
    """Send ``items`` from ``senders`` threads (sender ``k`` sends items ``k``, ``k +
    senders``, ... one after another, as fast as answers come). Returns the seconds it took.
    ``stop_after``, once set, makes the senders stop taking items."""
    harness = SlackHarness(fake, None, url)  # type: ignore[arg-type]  # the bot lives in the child

    def run(k: int) -> None:
        for item in items[k::senders]:
            if stop_after is not None and stop_after.is_set():
                return
            send(harness, item)

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(k,), name=f"sender-{k}") for k in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - started


# -- matching what arrived with what was sent -----------------------------------------------------
def _permalink_key(ts: str) -> str:
    return "p" + ts.replace(".", "")


def deliveries(fake: FakeSlackApi, items: Sequence[Item]) -> dict[int, list[Call]]:
    """For each original item, the successful calls that delivered its outcome: the
    response-URL reply (commands), the threaded answer (mentions), the private notice
    (flags; one per poster, as each item has its own user)."""
    by_name = {f"/respond/{it.name}": it.index for it in items if it.kind == "command" and it.retry_of is None}
    by_thread = {it.ts: it.index for it in items if it.kind == "mention" and it.retry_of is None}
    by_user = {it.user: it.index for it in items if it.kind == "message" and it.retry_of is None}
    found: dict[int, list[Call]] = {}
    for call in fake.posted():
        index: int | None = None
        if call.method == RESPONSE_METHOD:
            index = by_name.get(call.path)
        elif call.method == "chat.postMessage" and call.params.get("channel") == ASK_CHANNEL:
            index = by_thread.get(str(call.params.get("thread_ts", "")))
        elif call.method == "chat.postEphemeral" and call.params.get("channel") == WARD_CHANNEL:
            index = by_user.get(str(call.params.get("user", "")))
        if index is not None:
            found.setdefault(index, []).append(call)
    return found


def wait_for_deliveries(fake: FakeSlackApi, items: Sequence[Item], timeout: float) -> None:
    """Wait until every acknowledged item expecting a delivery has one (or ``timeout``),
    then until the fake has been quiet for a moment (so duplicates would show)."""
    wanted = {it.index for it in items if it.retry_of is None and it.status == 200 and it.expect in ("answer", "flag")}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not wanted <= set(deliveries(fake, items)):
        time.sleep(0.1)
    fake.settle(quiet=0.75, timeout=max(1.0, deadline - time.monotonic()))


def stored_flags(data_dir: Path, embedder: str, database_url: str = "") -> list[str]:
    """The message references of every flag in the child's audit store."""
    from bot.store import open_records

    records = open_records(settings_for(data_dir, embedder, database_url))
    try:
        return [f.message_ref for f in records.flags()]
    finally:
        records.close()


def pct(samples: Sequence[float], p: float) -> float:
    return float(np.percentile(np.asarray(samples, dtype=np.float64), p)) if samples else float("nan")


@dataclass
class Tally:
    """What a run produced, against the plan (only acknowledged items count as owed)."""

    events: int
    requests: int
    acked: int
    acked_in_time: int
    not_acked: int
    owed: int
    delivered: int
    lost: list[int]
    duplicated: list[int]
    unexpected: list[int]
    sorry: int
    flags_expected: int
    flags_stored: int
    flags_missing: int
    flags_doubled: int
    moderator_posts: int
    ack_seconds: list[float]
    answer_seconds: list[float]
    question_seconds: list[float] = field(default_factory=list)
    notice_seconds: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "requests": self.requests,
            "acked": self.acked,
            "acked_within_3s": self.acked_in_time,
            "not_acked": self.not_acked,
            "owed": self.owed,
            "delivered": self.delivered,
            "lost": len(self.lost),
            "duplicated": len(self.duplicated),
            "unexpected": len(self.unexpected),
            "sorry": self.sorry,
            "flags_expected": self.flags_expected,
            "flags_stored": self.flags_stored,
            "flags_missing": self.flags_missing,
            "flags_doubled": self.flags_doubled,
            "moderator_posts": self.moderator_posts,
            "ack_p50_ms": pct(self.ack_seconds, 50) * 1000,
            "ack_p95_ms": pct(self.ack_seconds, 95) * 1000,
            "ack_max_ms": max(self.ack_seconds, default=float("nan")) * 1000,
            "answer_p50_ms": pct(self.answer_seconds, 50) * 1000,
            "answer_p95_ms": pct(self.answer_seconds, 95) * 1000,
            "question_p50_ms": pct(self.question_seconds, 50) * 1000,
            "question_p95_ms": pct(self.question_seconds, 95) * 1000,
            "notice_p50_ms": pct(self.notice_seconds, 50) * 1000,
            "notice_p95_ms": pct(self.notice_seconds, 95) * 1000,
        }


def tally(fake: FakeSlackApi, items: Sequence[Item], flag_refs: Sequence[str]) -> Tally:
    originals = [it for it in items if it.retry_of is None]
    acked = [it for it in items if it.status == 200]
    owed = [it for it in originals if it.status == 200 and it.expect in ("answer", "flag")]
    # A retry acknowledged for an original that was not (or failed) also owes the outcome.
    acked_ids = {it.retry_of for it in items if it.retry_of is not None and it.status == 200}
    owed += [it for it in originals if it.status != 200 and it.index in acked_ids and it.expect in ("answer", "flag")]
    found = deliveries(fake, items)
    lost = [it.index for it in owed if it.index not in found]
    duplicated = [i for i, calls in found.items() if len(calls) > 1]
    expecting = {it.index for it in originals if it.expect in ("answer", "flag")}
    unexpected = [i for i in found if i not in expecting]
    sorry = sum(1 for calls in found.values() for c in calls if "Sorry, something went wrong" in c.text_dump())
    answer_seconds = [found[it.index][0].at - it.sent for it in owed if it.index in found and it.status == 200]
    question_seconds = [
        found[it.index][0].at - it.sent
        for it in owed
        if it.index in found and it.status == 200 and it.expect == "answer"
    ]
    notice_seconds = [
        found[it.index][0].at - it.sent for it in owed if it.index in found and it.status == 200 and it.expect == "flag"
    ]
    flag_items = [it for it in owed if it.expect == "flag"]
    refs = [r for r in flag_refs]
    missing = sum(1 for it in flag_items if not any(r.endswith(_permalink_key(it.ts)) for r in refs))
    keys = [r.rsplit("/", 1)[-1] for r in refs]
    doubled = len(keys) - len(set(keys))
    moderators = [
        c for c in fake.posted() if c.method == "chat.postMessage" and c.params.get("channel") == MODS_CHANNEL
    ]
    return Tally(
        events=len(originals),
        requests=len(items),
        acked=len(acked),
        acked_in_time=sum(1 for it in items if it.status == 200 and it.ack_seconds <= ACK_LIMIT),
        not_acked=sum(1 for it in items if it.status != 200),
        owed=len(owed),
        delivered=sum(1 for it in owed if it.index in found),
        lost=lost,
        duplicated=duplicated,
        unexpected=unexpected,
        sorry=sorry,
        flags_expected=len(flag_items),
        flags_stored=len(refs),
        flags_missing=missing,
        flags_doubled=doubled,
        moderator_posts=len(moderators),
        ack_seconds=[it.ack_seconds for it in acked],
        answer_seconds=answer_seconds,
        question_seconds=question_seconds,
        notice_seconds=notice_seconds,
    )


def metric_value(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))  # the client sorts labels
    pattern = re.compile(
        rf"^{re.escape(name)}(?:\{{{re.escape(want)}\}})? (\S+)$" if want else rf"^{re.escape(name)} (\S+)$",
        re.MULTILINE,
    )
    found = pattern.search(text)
    return float(found.group(1)) if found else 0.0


def dump(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=1, sort_keys=True, default=str)


# -- one whole run ---------------------------------------------------------------------------------
def _store_made_by(root: Path, data_dir: Path, embedder: str) -> None:
    """Make the SQLite store in ``data_dir`` again with the source tree at ``root`` (an
    older tree's migrations do not know this tree's newest revision), with the same
    monitored channel: that tree's own ``prepare_world``, run in a child process."""
    for leftover in data_dir.glob("gmcbot.sqlite3*"):
        leftover.unlink()
    code = (
        "import sys; from pathlib import Path; from tests.load.world import prepare_world; "
        "prepare_world(Path(sys.argv[1]), sys.argv[2])"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(data_dir), embedder],
        cwd=root,
        env={**env, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise AssertionError(f"the tree at {root} could not make its store:\n{done.stderr[-3000:]}")


def run_load(
    work_dir: Path,
    events: int,
    senders: int,
    embedder: str = "hashing",
    *,
    database_url: str = "",
    token: str = "xoxb-test",
    deliver_timeout: float = 120.0,
    root: Path = ROOT,
    embed_backend: str = "auto",
) -> dict[str, Any]:
    """Start the server, send ``events`` deliveries (plus retries) from ``senders``
    threads, wait for every outcome, scrape ``/metrics``, stop it with SIGTERM and count.
    The audit store is SQLite in the data folder unless ``database_url``. Returns the
    figures (see :meth:`Tally.summary`) with throughput, peak RSS and the shutdown's exit
    code and seconds. ``root`` is the source tree the server runs and ``embed_backend``
    the backend the plan's expected outcomes are screened with (``torch`` for a tree that
    predates the ONNX backend)."""
    data_dir = work_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    bot = prepare_world(data_dir, embedder, database_url, embed_backend)
    if root != ROOT and not database_url:
        _store_made_by(root, data_dir, embedder)
    items = make_plan(events, bot)
    env = {"GMCBOT_DATABASE_URL": database_url} if database_url else {}
    if root == ROOT:
        env["GMCBOT_EMBED_BACKEND"] = embed_backend
    with (
        FakeSlackApi() as fake,
        served_slack(fake, data_dir, embedder=embedder, token=token, env=env, root=root) as served,
    ):
        started = time.monotonic()
        send_seconds = fire(served.url, fake, items, senders)
        wait_for_deliveries(fake, items, deliver_timeout)
        found = deliveries(fake, items)
        last = max((c.at for calls in found.values() for c in calls), default=started)
        _, metrics = served.get("/metrics")
        peak = served.peak_rss()
        cpu = served.cpu_seconds()
        exit_code = served.terminate()
        counted = tally(fake, items, stored_flags(data_dir, embedder, database_url))
    result = counted.summary()
    result.update(
        {
            "senders": senders,
            "embedder": embedder,
            "database": database_url.split(":", 1)[0] or "sqlite",
            "send_seconds": send_seconds,
            "requests_per_s": len(items) / send_seconds if send_seconds else 0.0,
            "events_per_s_end_to_end": counted.events / (last - started) if last > started else 0.0,
            "peak_rss_mib": peak / 2**20,
            "server_cpu_seconds": cpu,
            "exit_code": exit_code,
            "server_ack_mean_ms": 1000
            * metric_value(metrics, "gmcbot_ack_seconds_sum", platform="slack")
            / max(1.0, metric_value(metrics, "gmcbot_ack_seconds_count", platform="slack")),
            "shutdown_seconds": served.stop_seconds,
            "metrics_requests": {
                kind: metric_value(metrics, "gmcbot_platform_requests_total", platform="slack", kind=kind)
                for kind in ("event_callback", "command", "duplicate")
            },
            "metrics_flags": sum(
                metric_value(metrics, "gmcbot_flags_total", category=c)
                for c in re.findall(r'gmcbot_flags_total\{category="([^"]+)"\}', metrics)
            ),
            "metrics_answers": sum(
                metric_value(metrics, "gmcbot_answers_total", status=s)
                for s in ("answered", "low_confidence", "no_match")
            ),
        }
    )
    return result
