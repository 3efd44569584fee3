"""``gmcbot serve teams``: run the Microsoft Teams bot (``POST /api/messages``).

Registered under ``gmcbot serve`` through ``EXTRA_SERVE_MODULES`` in
``adapters/cli/serve_cmds.py``. The Teams SDK is imported only when this command runs.
"""

from __future__ import annotations

import argparse

from adapters.cli.common import settings_from
from bot import ConfigError


def register(serve_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = serve_sub.add_parser(
        "teams",
        help="run the Microsoft Teams bot (POST /api/messages)",
        description="Serve the Teams messaging endpoint POST /api/messages (and GET /healthz). Activities are "
        "JWT-validated against Microsoft's keys: set GMCBOT_TEAMS_APP_ID, GMCBOT_TEAMS_APP_SECRET and, for a "
        "single-tenant bot, GMCBOT_TEAMS_TENANT_ID. Put it behind HTTPS (see docs/teams.md).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=3978, metavar="N", help="port (default 3978; 0 picks a free one)")
    p.add_argument(
        "--insecure-local-testing",
        action="store_true",
        help="accept unauthenticated activities and use no credentials (loopback hosts only; replies go "
        "only to each activity's serviceUrl)",
    )
    p.set_defaults(func=cmd_serve_teams)


def cmd_serve_teams(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be between 0 and 65535, got {args.port}")
    settings = settings_from(args)
    from adapters.teams.checks import check_credentials

    check_credentials(settings, host=args.host, insecure=args.insecure_local_testing)  # before loading anything
    from adapters.cli.serve_cmds import configure_server_logging
    from adapters.teams.runner import serve
    from bot import GuidanceBot, open_records

    say = configure_server_logging(args, settings)
    bot = GuidanceBot(settings, records=open_records(settings), notify=None if args.quiet else say)
    try:
        serve(bot, settings, host=args.host, port=args.port, insecure=args.insecure_local_testing, say=say)
    finally:
        bot.close()
    return 0
