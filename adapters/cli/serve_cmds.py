"""``gmcbot serve PLATFORM``: run the bot on a chat platform.

``serve`` is a group; each platform is a subparser. Slack's is defined here. Other
platforms register theirs through :data:`EXTRA_SERVE_MODULES` (see below). Platform
SDKs are imported only when a serve command runs, so ``bot`` never imports them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
from collections.abc import Callable

from adapters.cli.common import notify_stderr, settings_from
from bot import ConfigError, Settings

# >>> Other platforms register here. Each module named in this tuple defines
# >>> ``register(serve_subparsers)`` adding its ``serve PLATFORM`` subparser.
# >>> A module that does not exist (yet) is skipped.
EXTRA_SERVE_MODULES: tuple[str, ...] = (
    "adapters.cli.serve_discord",
    "adapters.cli.serve_teams",
    "adapters.cli.serve_review",
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve",
        help="run the bot on a chat platform (slack, discord, teams) or the review console (review)",
        description="Run the bot on a chat platform until interrupted. Credentials come from the environment only.",
    )
    ssub = serve.add_subparsers(dest="serve_platform", metavar="PLATFORM", required=True)
    _register_slack(ssub)
    for name in EXTRA_SERVE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(ssub)


def _register_slack(ssub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    slack = ssub.add_parser(
        "slack",
        help="run the Slack app (Socket Mode by default, or --http)",
        description="Run the Slack app. Socket Mode (the default) needs SLACK_BOT_TOKEN and "
        "SLACK_APP_TOKEN and no public URL. HTTP mode (--http) needs SLACK_BOT_TOKEN and "
        "SLACK_SIGNING_SECRET and serves /slack/events. GMCBOT_SLACK_API_URL changes the "
        "Web API base URL. See docs/slack.md.",
    )
    slack.add_argument("--http", action="store_true", help="serve HTTP instead of using Socket Mode")
    slack.add_argument("--host", default="127.0.0.1", help="HTTP mode: address to bind (default 127.0.0.1)")
    slack.add_argument(
        "--port", type=int, default=3000, metavar="N", help="HTTP mode: port (default 3000; 0 picks a free one)"
    )
    slack.add_argument(
        "--drain-seconds",
        type=float,
        default=20.0,
        metavar="S",
        help="on SIGTERM, how long queued answers and notices may take to finish (default 20)",
    )
    slack.set_defaults(func=cmd_serve_slack)


def configure_server_logging(args: argparse.Namespace, settings: Settings) -> Callable[[str], None]:
    """Logging for a long-running server: ``settings.log_level`` (``-v``/``-q`` win) and,
    with ``log_json`` (``GMCBOT_LOG_JSON=1``), one JSON object per line. Records carry
    ids, categories and counts only, never message text. Returns how to tell the operator
    something (start-up notices): plain lines on stderr, or log records in JSON mode, so
    stderr is all JSON then."""
    from bot import configure_logging

    level = "DEBUG" if args.verbose else "WARNING" if args.quiet else settings.log_level
    configure_logging(level, json_lines=settings.log_json)
    if not settings.log_json:
        return notify_stderr
    notices = logging.getLogger("gmcbot")
    return lambda message: notices.info(message.removeprefix("gmcbot: "))


def cmd_serve_slack(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be between 0 and 65535, got {args.port}")
    if not args.http and (args.host != "127.0.0.1" or args.port != 3000):
        raise ConfigError("--host and --port apply to HTTP mode only; add --http")
    if not 0 <= args.drain_seconds <= 3600:
        raise ConfigError(f"--drain-seconds must be between 0 and 3600, got {args.drain_seconds}")
    from adapters.slack.runner import SlackAdapter, check_credentials, stop_on_sigterm
    from bot import GuidanceBot, open_records

    settings = settings_from(args)
    say = configure_server_logging(args, settings)
    check_credentials(settings, http=args.http)  # fail fast, before opening the store or loading the model
    bot = GuidanceBot(settings, records=open_records(settings), notify=None if args.quiet else say)
    adapter = SlackAdapter(
        settings,
        http=args.http,
        host=args.host,
        port=args.port,
        drain_seconds=args.drain_seconds,
        on_listening=lambda where: say(f"gmcbot: listening on {where}; loading the index"),
        on_ready=lambda where: say(f"gmcbot: Slack app running ({where}); Ctrl+C stops"),
    )
    stop_on_sigterm(adapter.stop)
    adapter.run(bot)
    return 0
