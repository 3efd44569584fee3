"""The Discord side of gmcbot: ``/gmc``, ``/gmc-settings``, button clicks and the message
listener.

Contract (see ``adapters/base.py``):
- every core call runs on one of the cog's two thread pools, so the gateway heartbeat never
  waits for the model or the database: questions on the ask pool, everything else
  (screening, claims, settings, feedback) on the work pool, so answers never wait behind
  screening;
- every interaction is answered exactly once: ``/gmc`` replies directly when the answer is
  ready within ``answer_budget`` seconds, otherwise defers and follows up; buttons defer
  and then edit or follow up;
- every send disables mentions (``AllowedMentions.none()``);
- the bot ignores itself, other bots and webhooks; DMs and mentions are answered in place;
  messages in monitored channels are screened (channels are unmonitored by default);
- logs carry ids, categories and exception types only: never message text, and never an
  exception's message (which might quote it).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from adapters.discord.buttons import edit_kwargs, send_kwargs
from adapters.discord.carried import carried_message, carried_text
from adapters.discord.translate import (
    Reply,
    actor_of,
    addressed_to,
    answer_reply,
    channel_notice,
    feedback_done_reply,
    moderator_notice,
    outcome_reply,
    parse_citation_ids,
    poster_notice,
    question_from_content,
    rate_limited_reply,
    settings_channel_id,
    settings_text,
    shared_reply,
    strip_mention,
)
from bot.config import Settings
from bot.ratelimit import RateLimiter
from bot.review import Role
from bot.service import GuidanceBot
from bot.types import ChannelSettings, Flag, FlagStatus, Platform

log = logging.getLogger(__name__)

# Discord wants a first response within 3 s; past this budget /gmc defers instead.
ANSWER_BUDGET = 2.0
# Threads for core calls: questions have their own, so answers never queue behind screening.
ASK_WORKERS = 2
WORK_WORKERS = 8
T = TypeVar("T")
NONE = discord.AllowedMentions.none()
SORRY = "Sorry, something went wrong on my side. Please try again in a moment."
REPORT_NAME = "Report to gmcbot"
REPORT_THANKS = "Thanks. I've passed this message to the moderators for review."
REPORT_RECORDED = (
    "Thanks. I've recorded this message for review; no moderators' channel is set here, "
    "so an IG lead will see it in the review console."
)
EMPTY_QUESTION = "Ask me about professional guidance on social media, e.g. *can I reply to a patient on Twitter?*"


def log_failure(what: str, exc: BaseException) -> None:
    """Log a failure by exception type and where it happened; never its message."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    log.error("%s failed: %s at %s", what, type(exc).__name__, where)


async def answer_once(interaction: discord.Interaction, reply: Reply, ephemeral: bool = True) -> None:
    """Send ``reply`` as the interaction's response, or as a follow-up if it already has one."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(ephemeral=ephemeral, **send_kwargs(reply))
        else:
            await interaction.response.send_message(ephemeral=ephemeral, **send_kwargs(reply))
    except discord.HTTPException as exc:
        log.warning("could not answer interaction %s: HTTP %s code %s", interaction.id, exc.status, exc.code)


class GuidanceCog(commands.Cog, name="GuidanceCog"):
    """Holds the core (:class:`GuidanceBot`) by composition; registered in ``setup_hook``."""

    def __init__(
        self, client: commands.Bot, guidance: GuidanceBot, settings: Settings, answer_budget: float = ANSWER_BUDGET
    ) -> None:
        self.client = client
        self.guidance = guidance
        self.settings = settings
        self.answer_budget = answer_budget
        self.limiter = RateLimiter(settings.rate_limit_per_minute)
        self._asks = ThreadPoolExecutor(ASK_WORKERS, thread_name_prefix="gmcbot-discord-ask")
        self._work = ThreadPoolExecutor(WORK_WORKERS, thread_name_prefix="gmcbot-discord-work")

    async def cog_unload(self) -> None:
        self.client.tree.remove_command(REPORT_NAME, type=discord.AppCommandType.message)  # issue 19
        self._asks.shutdown(wait=False, cancel_futures=True)
        self._work.shutdown(wait=False, cancel_futures=True)

    async def _ask(self, question: str) -> Any:
        """``GuidanceBot.ask`` on the ask pool."""
        return await self._core(self._asks, self.guidance.ask, question)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        """Any other core call (screening, claims, settings, records) on the work pool."""
        return await self._core(self._work, fn, *args)

    @staticmethod
    async def _core(pool: ThreadPoolExecutor, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(pool, functools.partial(fn, *args))

    def _over_limit(self, user_id: int) -> Reply | None:
        """The polite refusal when this user has asked too often in the last minute."""
        if self.limiter.allow(str(user_id)):
            return None
        log.info("discord rate limit reached for a user")
        return rate_limited_reply(self.settings.rate_limit_per_minute)

    # -- /gmc ----------------------------------------------------------------------------
    @app_commands.command(name="gmc", description="Ask about UK professional guidance on social media and messaging")
    @app_commands.describe(question="Your question, e.g. can I reply to a patient on Twitter?")
    async def gmc(self, interaction: discord.Interaction, question: str) -> None:
        """Answer privately (ephemeral) with the cited paragraph and Share/feedback buttons."""
        refusal = self._over_limit(interaction.user.id)
        if refusal is not None:
            await answer_once(interaction, refusal)
            return
        task = asyncio.ensure_future(self._ask(question))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.answer_budget)
            if not done:
                await interaction.response.defer(ephemeral=True, thinking=True)
            answer = await task
        except Exception as exc:  # noqa: BLE001 - any failure still gets its one answer
            log_failure(f"/gmc interaction {interaction.id}", exc)
            await answer_once(interaction, Reply(content=SORRY))
            return
        reply = answer_reply(
            answer, self.settings.ask_who, echo_question=True, shareable=interaction.guild_id is not None, feedback=True
        )
        await answer_once(interaction, reply)
        log.info(
            "answered /gmc interaction %s: %s, %d citation(s)",
            interaction.id,
            answer.status.value,
            len(answer.citations),
        )

    # -- /gmc-settings ---------------------------------------------------------------------
    @app_commands.command(name="gmc-settings", description="View or change gmcbot's settings for this channel")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(
        screening="Screen messages posted in this channel (off by default)",
        moderators="Channel where moderators get a redacted notice of each flag",
        clear_moderators="Stop sending moderators' notices for this channel",
        sensitivity="How readily screening flags a message",
    )
    async def gmc_settings(
        self,
        interaction: discord.Interaction,
        screening: bool | None = None,
        moderators: discord.TextChannel | None = None,
        clear_moderators: bool = False,
        sensitivity: Literal["low", "normal", "high"] | None = None,
    ) -> None:
        """Show this channel's settings and apply any given changes (Manage Server only)."""
        if interaction.guild_id is None or interaction.channel_id is None:
            await answer_once(interaction, Reply(content="Use this command in a server channel."))
            return
        if not interaction.permissions.manage_guild:
            await answer_once(interaction, Reply(content="You need the Manage Server permission to use this."))
            return
        channel_id = settings_channel_id(interaction.channel, interaction.channel_id)
        changes: dict[str, Any] = {}
        if screening is not None:
            changes["monitored"] = screening
        if moderators is not None:
            changes["moderators_channel"] = str(moderators.id)
        if clear_moderators:
            changes["moderators_channel"] = ""
        if sensitivity is not None:
            changes["sensitivity"] = sensitivity
        try:
            current = await self._call(
                self.guidance.channel_settings, Platform.DISCORD, str(interaction.guild_id), str(channel_id)
            )
            if changes:
                current = await self._call(
                    self.guidance.update_channel_settings, dataclasses.replace(current, **changes)
                )
                log.info(
                    "settings changed for guild %s channel %s: %s",
                    interaction.guild_id,
                    channel_id,
                    ",".join(sorted(changes)),
                )
        except Exception as exc:  # noqa: BLE001 - the admin still gets an answer
            log_failure(f"/gmc-settings interaction {interaction.id}", exc)
            await answer_once(interaction, Reply(content=SORRY))
            return
        can_delete = interaction.app_permissions.manage_messages
        await answer_once(interaction, Reply(content=settings_text(current, self.settings.delete_flagged, can_delete)))

    # -- buttons (called by adapters.discord.buttons) ---------------------------------------
    async def on_share(self, interaction: discord.Interaction) -> None:
        """Post the ephemeral answer's embeds in the channel, then confirm privately."""
        message, channel = interaction.message, interaction.channel
        if (
            message is None
            or not message.embeds
            or interaction.guild_id is None
            or not isinstance(channel, discord.abc.Messageable)
        ):
            await answer_once(interaction, Reply(content="There is nothing I can share here."))
            return
        await interaction.response.defer(ephemeral=True)
        try:
            await channel.send(**send_kwargs(shared_reply(message.embeds, interaction.user.id)))
        except discord.HTTPException as exc:
            log.warning("share failed in channel %s: HTTP %s code %s", interaction.channel_id, exc.status, exc.code)
            await answer_once(interaction, Reply(content="I can't post in this channel."))
            return
        await answer_once(interaction, Reply(content="Shared in this channel."))

    async def on_feedback(self, interaction: discord.Interaction, helpful: bool, citation_ids: str) -> None:
        """Store the feedback (the question is redacted by the core) and drop the buttons."""
        message = interaction.message
        content = message.content if message else ""
        await interaction.response.defer()
        try:
            await self._call(
                self.guidance.record_feedback,
                Platform.DISCORD.value,
                actor_of(interaction.user),
                question_from_content(content),
                parse_citation_ids(citation_ids),
                helpful,
            )
        except Exception as exc:  # noqa: BLE001
            log_failure(f"feedback interaction {interaction.id}", exc)
            await answer_once(interaction, Reply(content=SORRY))
            return
        log.info("feedback stored: helpful=%s citations=%s", helpful, citation_ids)
        reply = feedback_done_reply(content, message.embeds if message else [], helpful)
        await self._edit_original(interaction, reply)

    # >>> review of flags: every click goes through the core's rules (bot.review)
    async def on_flag_outcome(
        self, interaction: discord.Interaction, role: str, status: FlagStatus, flag_id: str
    ) -> None:
        """Record a flag's outcome from the poster's DM (the poster only, until a moderator
        decides) or the moderators' channel (Manage Messages, in the flag's server).
        Refusals are answered privately (ephemeral)."""
        if role == "mod" and (interaction.guild_id is None or not interaction.permissions.manage_messages):
            await answer_once(interaction, Reply(content="Only moderators (Manage Messages) can review flags."))
            return
        await interaction.response.defer()
        if role == "mod":
            decide = functools.partial(
                self.guidance.decide_flag,
                flag_id,
                status,
                actor_of(interaction.user),
                Role.MODERATOR,
                vouched=True,
                workspace=str(interaction.guild_id or ""),
                source=Platform.DISCORD.value,
            )
        else:
            decide = functools.partial(
                self.guidance.decide_flag,
                flag_id,
                status,
                actor_of(interaction.user),
                Role.POSTER,
                source=Platform.DISCORD.value,
            )
        try:
            decision = await self._call(decide)
        except Exception as exc:  # noqa: BLE001
            log_failure(f"flag outcome interaction {interaction.id}", exc)
            await answer_once(interaction, Reply(content=SORRY))
            return
        log.info("flag %s %s by %s: %s", flag_id, status.value, role, decision.outcome.value)
        if not decision.ok:
            await answer_once(interaction, Reply(content=decision.message))
            return
        message = interaction.message
        jump = ""
        if message is not None:
            links = [
                c.url for row in message.components for c in getattr(row, "children", []) if getattr(c, "url", None)
            ]
            jump = links[0] if links else ""
        reply = outcome_reply(
            role,
            status,
            interaction.user.id,
            message.content if message else "",
            message.embeds if message else [],
            jump,
        )
        await self._edit_original(interaction, reply)

    # <<< review of flags

    async def _edit_original(self, interaction: discord.Interaction, reply: Reply) -> None:
        try:
            await interaction.edit_original_response(**edit_kwargs(reply))
        except discord.HTTPException as exc:
            log.warning("could not edit message for interaction %s: HTTP %s", interaction.id, exc.status)

    # -- messages ------------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """DMs and mentions: answer in place. Monitored channels: screen."""
        me = self.client.user
        if me is None or message.author.bot or message.webhook_id is not None or message.author.id == me.id:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        try:
            await self._handle_message(message, me.id)
        except Exception as exc:  # noqa: BLE001 - never let a message's failure reach discord.py's logger
            log_failure(f"message {message.id}", exc)

    async def _handle_message(self, message: discord.Message, me: int) -> None:
        guild = message.guild
        if guild is None:
            if await self._claim(message):
                await self._answer_in_place(message, message.content)
            return
        channel_id = settings_channel_id(message.channel, message.channel.id)
        settings = await self._call(self.guidance.channel_settings, Platform.DISCORD, str(guild.id), str(channel_id))
        mentioned = addressed_to(message, me)
        if not (settings.monitored or mentioned) or not await self._claim(message):
            return
        if settings.monitored:
            await self._screen(message, settings)
        if mentioned:
            await self._answer_in_place(message, strip_mention(message.content, me))

    async def _claim(self, message: discord.Message) -> bool:
        """True the first time this message is seen (gateway events can be replayed)."""
        return await self._call(self.guidance.claim_event, Platform.DISCORD.value, f"message:{message.id}")

    async def _answer_in_place(self, message: discord.Message, question: str) -> None:
        if not question.strip():
            reply = Reply(content=EMPTY_QUESTION)
        elif (refusal := self._over_limit(message.author.id)) is not None:
            reply = refusal
        else:
            try:
                answer = await self._ask(question)
            except Exception as exc:  # noqa: BLE001 - the asker still gets an answer
                log_failure(f"answering message {message.id}", exc)
                reply = Reply(content=SORRY)
            else:
                reply = answer_reply(answer, self.settings.ask_who)
                log.info("answered message %s: %s", message.id, answer.status.value)
        try:
            await message.reply(**send_kwargs(reply))
        except discord.HTTPException as exc:
            log.warning("could not answer message %s: HTTP %s code %s", message.id, exc.status, exc.code)

    # >>> carried (issue 19): edits re-screened; a message is screened with all it carries
    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """An edited message in a monitored channel is screened again, as Slack's are. Only
        real edits count (``edited_timestamp`` set, and what the message carries changed
        when the old one is cached): link previews arriving later are not edits."""
        message = payload.message
        me = self.client.user
        edited = payload.data.get("edited_timestamp") if isinstance(payload.data, dict) else None
        if (
            me is None
            or payload.guild_id is None
            or message.guild is None
            or not edited
            or message.author.bot
            or message.webhook_id is not None
            or message.author.id == me.id
        ):
            return
        before = payload.cached_message
        if (
            before is not None
            and carried_text(before) == carried_text(message)
            and before.attachments == message.attachments
        ):
            return
        try:
            channel_id = settings_channel_id(message.channel, message.channel.id)
            settings = await asyncio.to_thread(
                self.guidance.channel_settings, Platform.DISCORD, str(message.guild.id), str(channel_id)
            )
            if not settings.monitored:
                return
            if not await asyncio.to_thread(
                self.guidance.claim_event, Platform.DISCORD.value, f"edit:{message.id}:{edited}"
            ):
                return
            await self._screen(message, settings)
        except Exception as exc:  # noqa: BLE001 - never let a message's failure reach discord.py's logger
            log_failure(f"edited message {message.id}", exc)

    async def cog_load(self) -> None:
        self.client.tree.add_command(
            app_commands.ContextMenu(
                name=REPORT_NAME,
                callback=self.report_message,
                allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False),
            )
        )

    async def report_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """ "Report to gmcbot" (message context menu): screen the message on demand and always
        open a flag (:meth:`GuidanceBot.report`) with the redacted notice to the moderators'
        channel; the reporter is answered privately and the poster is not told who reported."""
        if interaction.guild_id is None or message.guild is None:
            await answer_once(interaction, Reply(content="Reports work in server channels."))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            core = await carried_message(message, self.guidance.read_image)
            flag = await asyncio.to_thread(self.guidance.report, core)
            flag_id = await asyncio.to_thread(self.guidance.record_flag, core, flag)
            settings = await asyncio.to_thread(
                self.guidance.channel_settings, Platform.DISCORD, str(message.guild.id), core.conversation.channel
            )
        except Exception as exc:  # noqa: BLE001 - the reporter still gets an answer
            log_failure(f"report interaction {interaction.id}", exc)
            await answer_once(interaction, Reply(content=SORRY))
            return
        log.info(
            "reported message %s in guild %s: flag %s (%s)", message.id, message.guild.id, flag_id, flag.category.value
        )
        await self._notify_moderators(message, flag, flag_id, settings)
        told = settings.moderators_channel or self.settings.moderators_channel
        await answer_once(interaction, Reply(content=REPORT_THANKS if told else REPORT_RECORDED))

    # <<< carried

    async def _screen(self, message: discord.Message, settings: ChannelSettings) -> None:
        core = await carried_message(message, self.guidance.read_image)
        screening = await self._call(self.guidance.screen, core, settings.sensitivity)
        flag = screening.flag
        if flag is None:
            return
        flag_id = await self._call(self.guidance.record_flag, core, flag)
        log.info(
            "flagged message %s in guild %s channel %s: %s (%s), flag %s",
            message.id,
            core.conversation.workspace,
            core.conversation.channel,
            flag.category.value,
            flag.severity.value,
            flag_id,
        )
        await self._notify_poster(message, flag, flag_id)
        await self._notify_moderators(message, flag, flag_id, settings)
        if self.settings.delete_flagged:
            await self._delete(message, flag_id)

    async def _notify_poster(self, message: discord.Message, flag: Flag, flag_id: str) -> None:
        """DM the poster; if their DMs are closed, a detail-free notice in the channel."""
        reply = poster_notice(flag, flag_id, message.jump_url, message.channel.id, self.settings.ask_who)
        try:
            dm = await message.author.create_dm()
            await dm.send(**send_kwargs(reply))
            return
        except discord.HTTPException as exc:
            log.info("DM for flag %s refused: HTTP %s code %s; posting a channel notice", flag_id, exc.status, exc.code)
        try:
            await message.channel.send(
                reference=message.to_reference(fail_if_not_exists=False),
                **send_kwargs(channel_notice(message.author.id)),
            )
        except discord.HTTPException as exc:
            log.warning("channel notice for flag %s failed: HTTP %s code %s", flag_id, exc.status, exc.code)

    async def _notify_moderators(
        self, message: discord.Message, flag: Flag, flag_id: str, settings: ChannelSettings
    ) -> None:
        """Post the redacted notice in the moderators' channel, if one is set in this server."""
        target = settings.moderators_channel or self.settings.moderators_channel
        guild = message.guild
        if not target or guild is None:
            return
        channel = guild.get_channel(int(target)) if target.isdigit() else None
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("moderators' channel %s is not a text channel of guild %s", target, guild.id)
            return
        reply = moderator_notice(flag, flag_id, message.jump_url, message.channel.id, message.author.id)
        try:
            await channel.send(**send_kwargs(reply))
        except discord.HTTPException as exc:
            log.warning("moderators' notice for flag %s failed: HTTP %s code %s", flag_id, exc.status, exc.code)

    async def _delete(self, message: discord.Message, flag_id: str) -> None:
        """Delete the flagged message (after notifying); the redacted record stays."""
        try:
            await message.delete()
            log.info("deleted flagged message %s (flag %s)", message.id, flag_id)
        except discord.NotFound:
            pass
        except discord.HTTPException as exc:
            log.warning(
                "could not delete flagged message %s (flag %s): HTTP %s code %s; the bot needs Manage Messages",
                message.id,
                flag_id,
                exc.status,
                exc.code,
            )
