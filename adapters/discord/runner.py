"""Running the Discord adapter: the client, the invite URL and ``DiscordAdapter.run``.

The client keeps no message cache (``max_messages=None``), asks for the message-content
intent (screening and mentions need the text; enable it in the Developer Portal), disables
mentions by default, and registers the cog and the persistent buttons in ``setup_hook``.
Reconnects and rate limits are discord.py's.
"""

from __future__ import annotations

import base64
import binascii
import logging
import signal
import threading
from collections.abc import Callable

import discord
from discord import app_commands
from discord.ext import commands

from adapters.discord.buttons import DYNAMIC_ITEMS
from adapters.discord.cog import ANSWER_BUDGET, SORRY, GuidanceCog, answer_once, log_failure
from adapters.discord.translate import Reply
from bot import ConfigError, GuidanceBot, Settings

log = logging.getLogger(__name__)

SCOPES = ("bot", "applications.commands")
DEFAULT_API_BASE = discord.http.Route.BASE


def invite_permissions(delete_flagged: bool = False) -> discord.Permissions:
    """The least the bot needs: see channels, read history (to reply), send messages (also
    in threads) with embeds; Manage Messages only when flagged messages are deleted."""
    perms = discord.Permissions(
        view_channel=True,
        read_message_history=True,
        send_messages=True,
        send_messages_in_threads=True,
        embed_links=True,
    )
    if delete_flagged:
        perms.manage_messages = True
    return perms


def invite_url(client_id: int | str, delete_flagged: bool = False) -> str:
    """The OAuth2 URL a server admin opens to add the bot with :func:`invite_permissions`."""
    return discord.utils.oauth_url(client_id, permissions=invite_permissions(delete_flagged), scopes=SCOPES)


def client_id_from_token(token: str) -> str:
    """The application's id, encoded in a bot token's first segment; ``""`` if not a token."""
    head = token.strip().split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return ""
    return decoded if decoded.isdigit() else ""


def gateway_intents() -> discord.Intents:
    """Default intents plus message content (privileged: enable it for the application)."""
    intents = discord.Intents.default()
    intents.message_content = True
    return intents


def set_api_base(url: str) -> str:
    """Point discord.py's REST client at ``url`` (``.../api/v10``); returns the previous base
    so callers can restore it. An empty ``url`` leaves it unchanged."""
    previous = discord.http.Route.BASE
    if url:
        discord.http.Route.BASE = url.rstrip("/")
    return previous


class GmcTree(app_commands.CommandTree):
    """Errors from app commands (bad options, failed checks) are logged by type only and
    the user still gets one answer."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        log_failure(f"app command interaction {interaction.id}", error)
        await answer_once(interaction, Reply(content=SORRY))


class GmcClient(commands.Bot):
    """The Discord client: a holder for the core, the cog and the buttons."""

    def __init__(
        self,
        guidance: GuidanceBot,
        settings: Settings,
        *,
        sync_commands: bool = True,
        answer_budget: float = ANSWER_BUDGET,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=gateway_intents(),
            help_command=None,
            max_messages=None,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=GmcTree,
        )
        self.guidance = guidance
        self.gmc_settings = settings
        self.sync_commands = sync_commands
        self.answer_budget = answer_budget

    async def setup_hook(self) -> None:
        await self.add_cog(GuidanceCog(self, self.guidance, self.gmc_settings, self.answer_budget))
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        if self.sync_commands:
            synced = await self.tree.sync()
            log.info("registered %d application command(s) with Discord", len(synced))

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: the cog's listener handles messages."""

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s in %d server(s)", self.user.id if self.user else "?", len(self.guilds))


def quiet_library_logs() -> None:
    """discord.py logs whole payloads (message text) at DEBUG; never let them through."""
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLogger("discord").getEffectiveLevel()))


class DiscordAdapter:
    """``gmcbot serve discord``: connect to the gateway and serve until stopped."""

    name = "discord"

    def __init__(self, sync_commands: bool = True) -> None:
        self.sync_commands = sync_commands

    def run(self, bot: GuidanceBot) -> None:
        settings = bot.settings
        if not settings.discord_token:
            raise ConfigError(
                "DISCORD_TOKEN is not set: put the bot token from the Discord Developer Portal "
                "in the DISCORD_TOKEN environment variable (see docs/discord.md)"
            )
        set_api_base(settings.discord_api_url)
        quiet_library_logs()
        bot.warm_up()
        client = GmcClient(bot, settings, sync_commands=self.sync_commands)
        previous = _stop_on_sigterm()
        try:
            client.run(settings.discord_token, log_handler=None)
        except discord.LoginFailure:
            raise ConfigError(
                "Discord rejected the token in DISCORD_TOKEN; reset it in the Developer Portal "
                "(Bot > Reset Token) and try again"
            ) from None
        except discord.PrivilegedIntentsRequired:
            raise ConfigError(
                "the Message Content intent is not enabled for this application: turn it on in the "
                "Developer Portal (Bot > Privileged Gateway Intents), see docs/discord.md"
            ) from None
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        log.info("Discord connection closed")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop_on_sigterm() -> signal.Handlers | Callable[..., object] | int | None:
    """Treat SIGTERM (systemd stop) like Ctrl-C, which discord.py's ``run`` handles by
    closing the gateway and HTTP session and returning; the audit store then flushes its
    waiting records at exit. Returns the previous handler (None off the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _interrupt)
