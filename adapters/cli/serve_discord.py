"""``gmcbot serve discord``: run the Discord bot, or print its invite URL.

Registered under ``gmcbot serve`` through ``EXTRA_SERVE_MODULES`` in
``adapters/cli/serve_cmds.py``. discord.py is imported only when this command runs, so the
rest of the CLI starts without it.
"""

from __future__ import annotations

import argparse

from adapters.cli.common import settings_from
from bot import ConfigError


def register(serve_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = serve_sub.add_parser(
        "discord",
        help="run the Discord bot (token from DISCORD_TOKEN)",
        description="Connect to Discord and answer /gmc, mentions and DMs; screen the channels an admin has "
        "turned on with /gmc-settings. The token comes from the DISCORD_TOKEN environment variable. "
        "Setup guide: docs/discord.md.",
    )
    p.add_argument(
        "--invite-url",
        action="store_true",
        help="print the URL that adds the bot to a server with the least permissions, then exit",
    )
    p.add_argument(
        "--client-id", metavar="ID", help="the application id for --invite-url (default: read from DISCORD_TOKEN)"
    )
    p.add_argument("--no-sync", action="store_true", help="do not register the slash commands with Discord at start-up")
    p.set_defaults(func=cmd_serve_discord)


def cmd_serve_discord(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.invite_url:
        from adapters.discord.runner import client_id_from_token, invite_url

        client_id = (args.client_id or client_id_from_token(settings.discord_token)).strip()
        if not client_id.isdigit():
            raise ConfigError(
                "give --client-id (the Application ID from the Discord Developer Portal, "
                "General Information page) or set DISCORD_TOKEN"
            )
        print(invite_url(client_id, settings.delete_flagged))
        return 0
    if not settings.discord_token:
        raise ConfigError(
            "DISCORD_TOKEN is not set: put the bot token from the Discord Developer Portal in the "
            "DISCORD_TOKEN environment variable (see docs/discord.md)"
        )
    from adapters.cli.serve_cmds import configure_server_logging
    from adapters.discord.runner import DiscordAdapter
    from bot import GuidanceBot, open_records

    say = configure_server_logging(args, settings)  # GMCBOT_LOG_JSON=1: JSON lines
    bot = GuidanceBot(settings, records=open_records(settings), notify=None if args.quiet else say)
    DiscordAdapter(sync_commands=not args.no_sync).run(bot)
    return 0
