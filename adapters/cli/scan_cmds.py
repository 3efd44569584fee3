"""``gmcbot scan slack|discord CHANNEL --since WHEN``: screen a channel's history (issue 19).

The use case is :func:`bot.backscan.back_scan`; the history readers are
``adapters/slack/history.py`` and ``adapters/discord/history.py`` (imported only when the
command runs). Flags go into the audit store, the same queue as the live path's; nothing
is kept of the other messages. A checkpoint in ``<data_dir>/scans/`` lets the same
command carry on after an interruption.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from adapters.cli.common import settings_from
from bot import ConfigError

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
WHEN_HELP = "an ISO date or time (2026-11-01, 2026-11-01T08:00; UTC unless it says otherwise) or an age (90d, 12h, 2w)"


def parse_when(text: str, now: float | None = None) -> float:
    """Unix seconds for ``text``: an ISO 8601 date or date-time (UTC when it names no zone)
    or an age before ``now`` in minutes, hours, days or weeks (``90d``)."""
    now = time.time() if now is None else now
    relative = _RELATIVE.match(text)
    if relative:
        return now - float(relative.group(1)) * _UNIT_SECONDS[relative.group(2).lower()]
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"cannot read the time {text!r}: give {WHEN_HELP}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scan = sub.add_parser(
        "scan",
        help="screen a channel's history (a back-scan when monitoring is switched on)",
        description="Read a monitored channel's history through the platform's API and screen every message "
        "with everything it carries, as the live bot would. Flags join the review queue (gmcbot serve review, "
        "gmcbot audit list), marked as found by a back-scan; posters and moderators' channels are not messaged. "
        "Nothing is kept of messages that are not flagged. Progress is saved after each batch: after an "
        "interruption, run the same command again to carry on. Set-up: docs/slack.md, docs/discord.md.",
    )
    ssub = scan.add_subparsers(dest="scan_platform", metavar="PLATFORM", required=True)
    for name, token, channel_help in (
        ("slack", "SLACK_BOT_TOKEN", "the channel id (C… or G…; the bot must be in it)"),
        ("discord", "DISCORD_TOKEN", "the channel's id (a snowflake; its threads are not read yet)"),
    ):
        p = ssub.add_parser(
            name,
            help=f"scan a {name.title()} channel (token from {token})",
            description=f"Screen a {name.title()} channel's history between --since and --until. "
            f"The token comes from {token}; the channel must be monitored (gmcbot settings channel).",
        )
        p.add_argument("channel", help=channel_help)
        p.add_argument("--since", required=True, metavar="WHEN", help=f"start of the history to read: {WHEN_HELP}")
        p.add_argument(
            "--until", metavar="WHEN", help="end of the history to read (default: now, fixed at the first run)"
        )
        p.add_argument(
            "--dry-run", action="store_true", help="screen and count, but record no flag and keep no checkpoint"
        )
        p.add_argument(
            "--restart", action="store_true", help="forget this scan's checkpoint and start again from --since"
        )
        p.add_argument("--no-images", action="store_true", help="do not read the text of images (faster)")
        if name == "slack":
            p.add_argument("--no-replies", action="store_true", help="do not read thread replies")
        p.add_argument("--json", action="store_true", help="print the counts as JSON")
        p.set_defaults(func=cmd_scan)


def cmd_scan(args: argparse.Namespace) -> int:
    from bot import FileCheckpoints, GuidanceBot, Platform, ScanJob, back_scan, checkpoint_folder, open_records

    settings = settings_from(args)
    now = time.time()
    since = parse_when(args.since, now)
    until = parse_when(args.until, now) if args.until else now
    if since >= until:
        raise ConfigError("--since must be before --until (and before now)")
    platform = Platform(args.scan_platform)
    token = settings.slack_bot_token if platform is Platform.SLACK else settings.discord_token
    if not token:
        name = "SLACK_BOT_TOKEN" if platform is Platform.SLACK else "DISCORD_TOKEN"
        raise ConfigError(f"{name} is not set: put the bot's token in the {name} environment variable")
    checkpoints = FileCheckpoints(checkpoint_folder(settings.data_dir))
    bot = GuidanceBot(settings, records=open_records(settings))
    try:
        reader, workspace, link, close = _reader(args, settings, platform, token, since, until, bot)
        try:
            job = ScanJob(platform, workspace, args.channel, since, until, until_given=bool(args.until))
            stored = None if args.restart or args.dry_run else checkpoints.load(job.key)
            if stored is not None and not args.until:
                job = ScanJob(platform, workspace, args.channel, since, stored.until, until_given=False)
                reader = _rebind(reader, job)
            if args.restart:
                checkpoints.clear(job.key)
            channel = bot.channel_settings(platform, workspace, args.channel)
            if not channel.monitored:
                raise ConfigError(
                    f"channel {args.channel} is not monitored: turn monitoring on first "
                    f"(gmcbot settings channel {platform.value} {args.channel} --workspace {workspace} --monitored on, "
                    "or from chat), then scan"
                )
            with _progress_bar(args) as show:
                try:
                    result = back_scan(
                        bot,
                        job,
                        reader,
                        checkpoints,
                        sensitivity=channel.sensitivity,
                        dry_run=args.dry_run,
                        link=link,
                        progress=show,
                    )
                except KeyboardInterrupt:
                    print(
                        "\ngmcbot scan: interrupted; progress is saved: run the same command again to carry on",
                        file=sys.stderr,
                    )
                    return 130
        finally:
            close()
    finally:
        bot.close()
    _report(args, result)
    return 0


def _reader(
    args: argparse.Namespace, settings: Any, platform: Any, token: str, since: float, until: float, bot: Any
) -> tuple[Any, str, Callable[[Any], str] | None, Callable[[], None]]:
    """(history reader, workspace id, permalink maker, close) for the platform."""
    from bot import ScanJob

    read_image = None if args.no_images else bot.read_image
    if platform.value == "slack":
        from adapters.slack.client import Sender, api_base_url, make_client
        from adapters.slack.history import HistoryError, SlackHistory, history_client

        client = history_client(token, api_base_url(settings))
        try:
            who = client.auth_test()
        except Exception as exc:  # noqa: BLE001 - reported as what to do next
            raise HistoryError(
                f"Slack did not accept the token ({type(exc).__name__}): check SLACK_BOT_TOKEN"
            ) from None
        workspace, bot_user = str(who.get("team_id") or ""), str(who.get("user_id") or "")
        job = ScanJob(platform, workspace, args.channel, since, until)
        reader = SlackHistory(
            client,
            job,
            bot_user,
            replies=not args.no_replies,
            read_image=read_image,
            token=token,
            api_url=settings.slack_api_url,
        )
        sender = Sender(make_client(settings))

        def link(message: Any) -> str:
            return sender.permalink(message.conversation.channel, message.ref)

        return reader, workspace, link, lambda: None
    from adapters.discord.history import DiscordHistory

    job = ScanJob(platform, "", args.channel, since, until)
    history = DiscordHistory(token, job, read_image=read_image, api_url=settings.discord_api_url)
    history.job = ScanJob(platform, str(history.guild_id), args.channel, since, until)
    return history, str(history.guild_id), None, history.close


def _rebind(reader: Any, job: Any) -> Any:
    """The reader with the job's time range as first fixed (resuming an "until now" scan)."""
    reader.job = job
    return reader


class _Progress:
    """A tqdm bar over the share of the time range read, on stderr when it is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.bar: Any = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=100, unit="%", desc="back-scan", file=sys.stderr, bar_format=_BAR)

    def __enter__(self) -> Callable[[float, Any], None] | None:
        return self.show if self.bar is not None else None

    def show(self, fraction: float, result: Any) -> None:
        self.bar.n = round(100 * fraction, 1)
        self.bar.set_postfix(read=result.read, flagged=result.flagged, refresh=False)
        self.bar.refresh()

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


_BAR = "{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}{postfix}"


def _progress_bar(args: argparse.Namespace) -> _Progress:
    return _Progress(sys.stderr.isatty() and not args.quiet and not args.json)


def _report(args: argparse.Namespace, result: Any) -> None:
    data = {
        "read": result.read,
        "screened": result.screened,
        "flagged": result.flagged,
        "recorded": len(result.flag_ids),
        "categories": dict(sorted(result.categories.items())),
        "resumed": result.resumed,
        "already_done": result.already_done,
        "dry_run": result.dry_run,
    }
    if args.json:
        print(json.dumps(data, indent=2))
        return
    if result.already_done:
        print(
            f"This scan was already finished: {result.read} messages read, {result.flagged} flagged. "
            "Add --restart to scan again."
        )
        return
    cats = ", ".join(f"{k} {v}" for k, v in sorted(result.categories.items()))
    print(
        f"{'Resumed; ' if result.resumed else ''}{result.read} messages read, {result.screened} screened, "
        f"{result.flagged} flagged" + (f" ({cats} in this run)" if cats else "") + "."
    )
    if result.dry_run:
        print("Dry run: nothing was recorded.")
    elif result.flag_ids:
        print(f"{len(result.flag_ids)} new flag(s) are in the review queue (gmcbot serve review, gmcbot audit list).")
