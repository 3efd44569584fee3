"""``gmcbot audit``: the information-governance view of the audit trail.

``list`` shows flags, ``export`` writes flags or feedback as CSV or JSON, ``stats``
gives flags per category and week, the false-alarm rate and answer helpfulness,
``purge`` deletes records older than an age, ``review`` records a flag's outcome.
Everything shown is already redacted and pseudonymised (see docs/audit.md).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING

from adapters.cli.common import records_from
from bot import Actor, ConfigError, FeedbackRecord, FlagRecord, FlagStatus

if TYPE_CHECKING:
    from bot import AuditStats, SqlRecords

AGE_RE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)
AGE_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
STATUSES = [s.value for s in FlagStatus]
EXCERPT_WIDTH = 60


def parse_age(text: str) -> timedelta:
    """``90d``, ``12h`` or ``2w`` as a timedelta; ConfigError otherwise."""
    match = AGE_RE.match(text)
    if not match:
        raise ConfigError(f"'{text}' is not an age; use a number and a unit, e.g. 90d, 12h or 2w")
    return timedelta(**{AGE_UNITS[match.group(2).lower()]: int(match.group(1))})


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """An age (``7d``: that long ago) or an ISO date or time (UTC unless it says otherwise)."""
    if AGE_RE.match(text):
        return (now or datetime.now(UTC)) - parse_age(text)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"--since '{text}' is neither an age (7d, 12h, 2w) nor a date (2026-01-31)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def when(timestamp: float | None) -> str:
    """ISO 8601 UTC with seconds, or empty."""
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser(
        "audit",
        help="review the audit trail: flags, outcomes, feedback",
        description="Review what the bot flagged and how answers were received. "
        "Nothing here holds patient data: text is redacted, user ids pseudonymised.",
    )
    asub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    ls = asub.add_parser("list", help="list flags, newest first")
    _add_filters(ls)
    ls.add_argument("--limit", type=int, default=50, metavar="N", help="at most N flags (default 50; 0: all)")
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ls.set_defaults(func=cmd_list)

    ex = asub.add_parser(
        "export",
        help="write flags or feedback as CSV or JSON",
        description="Export for the IG team's own tools. Times are ISO 8601 UTC.",
    )
    ex.add_argument("--format", choices=("csv", "json"), required=True, help="output format")
    ex.add_argument("--table", choices=("flags", "feedback"), default="flags", help="what to export (default flags)")
    ex.add_argument("--output", "-o", type=Path, metavar="FILE", help="write to FILE instead of standard output")
    _add_filters(ex)
    ex.set_defaults(func=cmd_export)

    st = asub.add_parser("stats", help="flags per category and week, false-alarm rate, answer helpfulness")
    st.add_argument("--since", metavar="WHEN", help="only records since WHEN (7d, 2w, or a date like 2026-01-31)")
    st.add_argument("--json", action="store_true", help="print JSON instead of text")
    st.set_defaults(func=cmd_stats)

    pg = asub.add_parser(
        "purge",
        help="delete flags and feedback older than an age",
        description="Delete flags and feedback older than the age given. The retention "
        "setting (retention_days) is also applied automatically.",
    )
    pg.add_argument("--older-than", required=True, metavar="AGE", help="e.g. 90d, 12w or 48h")
    pg.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    pg.set_defaults(func=cmd_purge)

    rv = asub.add_parser(
        "review",
        help="decide a flag as the IG lead (confirmed or false_alarm)",
        description="Decide a flag after review, as the IG lead, under the same rules as "
        "the chat buttons and the review console (docs/review.md); the change is recorded "
        "with the reviewer's pseudonym.",
    )
    rv.add_argument("flag_id", metavar="FLAG_ID", help="the flag's id (from `gmcbot audit list`)")
    rv.add_argument("status", choices=[FlagStatus.CONFIRMED.value, FlagStatus.FALSE_ALARM.value], help="the decision")
    rv.add_argument("--reviewer", default="", metavar="WHO", help="who reviewed it (stored only as a pseudonym)")
    rv.set_defaults(func=cmd_review)


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="WHEN", help="only records since WHEN (7d, 2w, or a date like 2026-01-31)")
    parser.add_argument("--status", choices=STATUSES, help="only flags with this outcome")
    parser.add_argument("--channel", metavar="ID", help="only flags from this channel id")


@contextmanager
def _store(args: argparse.Namespace) -> Iterator[SqlRecords]:
    records = records_from(args)
    try:
        yield records
    finally:
        records.close()


def _flags(records: SqlRecords, args: argparse.Namespace, limit: int | None = None) -> list[FlagRecord]:
    since = parse_since(args.since) if args.since else None
    status = FlagStatus(args.status) if args.status else None
    return records.flags(since=since, status=status, channel=args.channel, limit=limit)


def cmd_list(args: argparse.Namespace) -> int:
    if args.limit < 0:
        raise ConfigError("--limit must be 0 (all) or more")
    with _store(args) as records:
        flags = _flags(records, args, limit=args.limit or None)
    if args.json:
        print(json.dumps([flag_json(f) for f in flags], ensure_ascii=False, indent=2))
        return 0
    if not flags:
        print("No flags match.")
        return 0
    for f in flags:
        where = "/".join(x for x in (f.platform, f.workspace, f.channel) if x)
        excerpt = f.redacted if len(f.redacted) <= EXCERPT_WIDTH else f.redacted[: EXCERPT_WIDTH - 1] + "…"
        print(f"{when(f.created)}  {f.flag_id}  {where}  {f.category} ({f.severity})  {f.status.value}")
        print(f"    cites {', '.join(f.citation_ids) or '-'}; rules {', '.join(f.rule_ids) or '-'}")
        print(f"    {excerpt}")
    return 0


def flag_json(f: FlagRecord) -> dict[str, object]:
    data = asdict(f)
    data.update(
        created=when(f.created),
        reviewed=when(f.reviewed),
        status=f.status.value,
        rule_ids=list(f.rule_ids),
        citation_ids=list(f.citation_ids),
    )
    return data


def feedback_json(f: FeedbackRecord) -> dict[str, object]:
    data = asdict(f)
    data.update(created=when(f.created), citation_ids=list(f.citation_ids))
    return data


def cmd_export(args: argparse.Namespace) -> int:
    with _store(args) as records:
        if args.table == "flags":
            rows = [flag_json(f) for f in _flags(records, args)]
        else:
            if args.status or args.channel:
                raise ConfigError("--status and --channel apply to flags only")
            rows = [feedback_json(f) for f in records.feedback(parse_since(args.since) if args.since else None)]
    with _output(args.output) as out:
        if args.format == "json":
            json.dump(rows, out, ensure_ascii=False, indent=2)
            out.write("\n")
        else:
            columns = [f.name for f in fields(FlagRecord if args.table == "flags" else FeedbackRecord)]
            writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: " ".join(v) if isinstance(v, list) else v for k, v in row.items()})
    if args.output:
        print(f"Wrote {len(rows)} {args.table} records to {args.output}", file=sys.stderr)
    return 0


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    try:
        handle = path.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None
    with handle:
        yield handle


def cmd_stats(args: argparse.Namespace) -> int:
    from bot import audit_stats

    since = parse_since(args.since) if args.since else None
    with _store(args) as records:
        stats = audit_stats(records.flags(since=since), records.feedback(since))
    if args.json:
        print(json.dumps(stats.to_json(), indent=2))
    else:
        print(render_stats(stats))
    return 0


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def render_stats(stats: AuditStats) -> str:
    lines = [f"Flags: {stats.flags} ({stats.reviewed} reviewed)"]
    if stats.per_category:
        lines.append("By category: " + ", ".join(f"{c} {n}" for c, n in stats.per_category.items()))
        lines.append("By outcome: " + ", ".join(f"{s} {n}" for s, n in stats.per_status.items()))
        lines.append("By week:")
        for week, counts in stats.per_week.items():
            lines.append(f"  {week}: " + ", ".join(f"{c} {n}" for c, n in counts.items()))
    lines.append(f"False-alarm rate (of reviewed flags): {_rate(stats.false_alarm_rate)}")
    lines.append(f"Answer feedback: {stats.feedback}; helpful: {stats.helpful} ({_rate(stats.helpful_rate)})")
    return "\n".join(lines)


def cmd_purge(args: argparse.Namespace) -> int:
    age = parse_age(args.older_than)
    with _store(args) as records:
        counts = records.purge(age, dry_run=args.dry_run)
    verb = "Would delete" if args.dry_run else "Deleted"
    print(f"{verb} {counts.flags} flags and {counts.feedback} feedback records older than {args.older_than.strip()}.")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from bot import DecisionOutcome, Role, decide

    reviewer = Actor(user_id=f"cli:{args.reviewer}")
    with _store(args) as records:
        decision = decide(
            records, args.flag_id.strip(), FlagStatus(args.status), reviewer, Role.IG_LEAD, vouched=True, source="cli"
        )
    if decision.outcome is DecisionOutcome.UNKNOWN:
        print(f"gmcbot audit review: no flag with id '{args.flag_id}'", file=sys.stderr)
        return 1
    if not decision.ok:
        print(f"gmcbot audit review: {decision.message}", file=sys.stderr)
        return 1
    print(f"Flag {args.flag_id} marked {args.status}.")
    return 0
