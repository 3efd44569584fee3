"""The Discord side of gmcbot: ``/gmc``, ``/gmc-profession`` (the asker's saved profession,
answered privately), ``/gmc-settings``, button clicks and the message listener.

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
import functools
import logging
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, Literal, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from adapters.discord.buttons import edit_kwargs, send_kwargs
from adapters.discord.carried import carried_message, carried_text
from adapters.discord.catchup import CatchUp, Positions
from adapters.discord.translate import (
    Reply,
    actor_of,
    addressed_to,
    answer_reply,
    channel_notice,
    feedback_done_reply,
    message_to_core,
    moderator_notice,
    outcome_reply,
    parse_citation_ids,
    plain_text,
    poster_notice,
    question_from_content,
    settings_channel_id,
    settings_text,
    shared_reply,
    strip_mention,
)
from bot import (
    Asked,
    AskStatus,
    ChannelKey,
    Flag,
    FlagStatus,
    GuidanceBot,
    Handling,
    LastSeen,
    Message,
    Outcome,
    Person,
    Platform,
    Question,
    Role,
    Settings,
    SettingsChange,
    To,
    UseCases,
    last_seen_path,
    wording,
)

log = logging.getLogger(__name__)

# Discord wants a first response within 3 s; past this budget /gmc defers instead.
ANSWER_BUDGET = 2.0
# Threads for core calls: questions have their own, so answers never queue behind screening.
ASK_WORKERS = 2
WORK_WORKERS = 8
T = TypeVar("T")
PROFESSION_COMMAND = "/gmc-profession"
NONE = discord.AllowedMentions.none()
SORRY = wording.SORRY
REPORT_NAME = "Report to gmcbot"
REPORT_THANKS = wording.REPORT_THANKS
REPORT_RECORDED = wording.REPORT_RECORDED
EMPTY_QUESTION = wording.EMPTY_QUESTION


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
        self.core = UseCases(guidance)
        self._asks = ThreadPoolExecutor(ASK_WORKERS, thread_name_prefix="gmcbot-discord-ask")
        self._work = ThreadPoolExecutor(WORK_WORKERS, thread_name_prefix="gmcbot-discord-work")
        self.positions = Positions(LastSeen(last_seen_path(settings.data_dir, Platform.DISCORD.value)))
        self.catchup = CatchUp(
            self.positions,
            max_messages=settings.discord_catchup_max_messages,
            max_age=timedelta(minutes=settings.discord_catchup_max_age_minutes),
            channels=lambda: [c for g in self.client.guilds for c in g.text_channels],
            monitored=self._monitored,
            handle=self._catch_up_message,
            run_sync=self._call,
        )

    async def cog_unload(self) -> None:
        self.catchup.cancel()
        self.client.tree.remove_command(REPORT_NAME, type=discord.AppCommandType.message)  # issue 19
        self._asks.shutdown(wait=False, cancel_futures=True)
        self._work.shutdown(wait=False, cancel_futures=True)

    async def _ask(self, user: discord.abc.User, guild_id: int | None, question: str, channel: str = "") -> Asked:
        """:meth:`UseCases.ask` on the ask pool (rate limit, failures: see ``Asked``), with
        Discord's markup made plain first; ``channel`` is whose settings apply (a thread's parent)."""
        asked = Question(plain_text(question), actor_of(user), Platform.DISCORD, str(guild_id or ""), channel)
        return await self._core(self._asks, self.core.ask, asked)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        """Any other core call (screening, claims, settings, records) on the work pool."""
        return await self._core(self._work, fn, *args)

    @staticmethod
    async def _core(pool: ThreadPoolExecutor, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(pool, functools.partial(fn, *args))

    def _reply(self, asked: Asked, **kwargs: Any) -> Reply:
        """The reply for a question's outcome (``kwargs`` go to :func:`answer_reply`)."""
        if asked.status is AskStatus.EMPTY:
            return Reply(content=EMPTY_QUESTION)
        if asked.answer is None:
            return Reply(content=asked.notice)
        return answer_reply(asked.answer, self.settings.ask_who, **kwargs)

    # -- /gmc ----------------------------------------------------------------------------
    @app_commands.command(name="gmc", description="Ask about UK professional guidance on social media and messaging")
    @app_commands.describe(question="Your question, e.g. can I reply to a patient on Twitter?")
    async def gmc(self, interaction: discord.Interaction, question: str) -> None:
        """Answer privately (ephemeral) with the cited paragraph and Share/feedback buttons."""
        channel = (
            str(settings_channel_id(interaction.channel, interaction.channel_id or 0)) if interaction.guild_id else ""
        )
        task = asyncio.ensure_future(self._ask(interaction.user, interaction.guild_id, question, channel))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.answer_budget)
            if not done:
                await interaction.response.defer(ephemeral=True, thinking=True)
            asked = await task
        except Exception as exc:  # noqa: BLE001 - any failure still gets its one answer
            log_failure(f"/gmc interaction {interaction.id}", exc)
            await answer_once(interaction, Reply(content=SORRY))
            return
        shareable = interaction.guild_id is not None
        await answer_once(interaction, self._reply(asked, echo_question=True, shareable=shareable, feedback=True))
        if asked.answer is not None:
            log.info(
                "answered /gmc interaction %s: %s, %d citation(s)",
                interaction.id,
                asked.answer.status.value,
                len(asked.answer.citations),
            )

    # -- /gmc-profession -------------------------------------------------------------------
    @app_commands.command(
        name="gmc-profession",
        description="Tell gmcbot your profession once, so answers put your regulator's guidance first",
    )
    @app_commands.describe(
        profession="e.g. nurse, midwife, HCA, physio, paramedic, FY1, PA, student nurse (empty: show it)",
        clear="Forget your saved profession",
    )
    async def gmc_profession(
        self, interaction: discord.Interaction, profession: str | None = None, clear: bool = False
    ) -> None:
        """Show, save or clear the asker's profession in this server (in a DM: everywhere
        they have not saved one for the server); always ephemeral."""
        person = Person(Platform.DISCORD, str(interaction.guild_id or ""), actor_of(interaction.user))
        words = "clear" if clear else plain_text(profession or "")
        try:
            reply = await self._call(self.core.profession, person, words, PROFESSION_COMMAND)
        except Exception as exc:  # noqa: BLE001 - the asker still gets an answer
            log_failure(f"/gmc-profession interaction {interaction.id}", exc)
            await answer_once(interaction, Reply(content=SORRY))
            return
        await answer_once(interaction, Reply(content=reply.text))

    # -- /gmc-settings ---------------------------------------------------------------------
    @app_commands.command(name="gmc-settings", description="View or change gmcbot's settings for this channel")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(
        screening="Screen messages posted in this channel (off by default)",
        moderators="Channel where moderators get a redacted notice of each flag",
        clear_moderators="Stop sending moderators' notices for this channel",
        sensitivity="How readily screening flags a message",
        audience="Whose guidance answers here put first (after the question's and the asker's own profession)",
    )
    async def gmc_settings(
        self,
        interaction: discord.Interaction,
        screening: bool | None = None,
        moderators: discord.TextChannel | None = None,
        clear_moderators: bool = False,
        sensitivity: Literal["low", "normal", "high"] | None = None,
        audience: Literal["doctors", "nurses", "ahp", "none"] | None = None,
    ) -> None:
        """Show this channel's settings and apply any given changes (Manage Server only)."""
        if interaction.guild_id is None or interaction.channel_id is None:
            await answer_once(interaction, Reply(content="Use this command in a server channel."))
            return
        if not interaction.permissions.manage_guild:
            await answer_once(interaction, Reply(content="You need the Manage Server permission to use this."))
            return
        channel_id = settings_channel_id(interaction.channel, interaction.channel_id)
        moderators_channel = str(moderators.id) if moderators is not None else None
        change = SettingsChange(
            monitored=screening,
            moderators_channel="" if clear_moderators else moderators_channel,
            sensitivity=sensitivity,
            audience=None if audience is None else ("" if audience == "none" else audience),
        )
        key = ChannelKey(Platform.DISCORD, str(interaction.guild_id), str(channel_id))
        try:
            current = await self._call(self.core.configure, key, change, actor_of(interaction.user))
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
        record = functools.partial(
            self.core.feedback,
            Platform.DISCORD,
            actor_of(interaction.user),
            parse_citation_ids(citation_ids),
            helpful,
            question=question_from_content(content),
        )
        try:
            await self._call(record)
        except Exception as exc:  # noqa: BLE001
            log_failure(f"feedback interaction {interaction.id}", exc)
            await answer_once(interaction, Reply(content=SORRY))
            return
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
        decide = functools.partial(
            self.core.review,
            flag_id,
            status,
            actor_of(interaction.user),
            Role.MODERATOR if role == "mod" else Role.POSTER,
            platform=Platform.DISCORD,
            vouched=role == "mod",  # Discord's moderators: Manage Messages, checked above
            workspace=str(interaction.guild_id or "") if role == "mod" else "",
        )
        try:
            decision = await self._call(decide)
        except Exception as exc:  # noqa: BLE001
            log_failure(f"flag outcome interaction {interaction.id}", exc)
            await answer_once(interaction, Reply(content=SORRY))
            return
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

    async def _handle_message(self, message: discord.Message, me: int, earlier: bool = False) -> Outcome | None:
        """A message, live or (``earlier``) read by the catch-up: the same claim
        (``message:<id>``), screening and deliveries either way. A live one in a monitored
        channel (not a thread) then becomes the channel's catch-up position."""
        if message.guild is None:
            if await self._call(self.core.claim, Platform.DISCORD, f"message:{message.id}"):
                await self._answer_in_place(message, message.content)
            return None
        mentioned = addressed_to(message, me)
        outcome = await self._handle(message, f"message:{message.id}", addressed=mentioned, earlier=earlier)
        if mentioned and outcome.handling not in (Handling.IGNORED, Handling.DUPLICATE):
            await self._answer_in_place(message, strip_mention(message.content, me))
        monitored = outcome.settings is not None and outcome.settings.monitored
        if not earlier and monitored and not isinstance(message.channel, discord.Thread):
            await self._call(self.positions.seen_live, str(message.channel.id), message.id)
        return outcome

    # >>> catch-up (issue 16): what monitored channels missed while the bot was away
    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self.catchup.request("ready")

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        self.catchup.request("resumed")

    def _monitored(self, channel: discord.TextChannel) -> bool:
        key = ChannelKey(Platform.DISCORD, str(channel.guild.id), str(channel.id))
        return self.core.channel_settings(key).monitored

    async def _catch_up_message(self, message: discord.Message) -> Handling | None:
        """A message the catch-up read: the live path, its notice saying it is about an
        earlier message."""
        me = self.client.user
        if me is None or message.author.id == me.id:
            return None
        try:
            outcome = await self._handle_message(message, me.id, earlier=True)
        except Exception as exc:  # noqa: BLE001 - one message's failure does not stop the catch-up
            log_failure(f"caught-up message {message.id}", exc)
            return None
        return outcome.handling if outcome is not None else None

    # <<< catch-up

    async def _handle(
        self, message: discord.Message, event_id: str, addressed: bool = False, earlier: bool = False
    ) -> Outcome:
        """:meth:`UseCases.handle_message` on the work pool, then deliver what it says
        (``earlier``: the poster's notice says the message is an earlier one).
        What the message carries (text files, images) is fetched only for monitored
        channels, on the event loop, while the worker waits for it."""
        loop = asyncio.get_running_loop()

        def enrich(_: Message) -> Message:
            return asyncio.run_coroutine_threadsafe(carried_message(message, self.core.read_image), loop).result()

        handle = functools.partial(
            self.core.handle_message, message_to_core(message), event_id=event_id, addressed=addressed, enrich=enrich
        )
        outcome = await self._call(handle)
        await self._deliver(message, outcome, earlier=earlier)
        return outcome

    async def _answer_in_place(self, message: discord.Message, question: str) -> None:
        try:
            channel = settings_channel_id(message.channel, message.channel.id) if message.guild else 0
            asked = await self._ask(
                message.author, message.guild.id if message.guild else None, question, str(channel or "")
            )
        except Exception as exc:  # noqa: BLE001 - the asker still gets an answer
            log_failure(f"answering message {message.id}", exc)
            asked = Asked(AskStatus.FAILED, notice=SORRY)
        reply = self._reply(asked)
        if asked.answer is not None:
            log.info("answered message %s: %s", message.id, asked.answer.status.value)
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
            await self._handle(message, f"edit:{message.id}:{edited}")
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
            core = await carried_message(message, self.core.read_image)
            outcome = await asyncio.to_thread(self.core.report, core)
        except Exception as exc:  # noqa: BLE001 - the reporter still gets an answer
            log_failure(f"report interaction {interaction.id}", exc)
            await answer_once(interaction, Reply(content=SORRY))
            return
        await self._deliver(message, outcome)
        thanks = next((d.text for d in outcome.deliveries if d.to is To.REPORTER), REPORT_RECORDED)
        await answer_once(interaction, Reply(content=thanks))

    # <<< carried

    async def _deliver(self, message: discord.Message, outcome: Outcome, earlier: bool = False) -> None:
        """Deliver a flag as the core says: the poster's DM, the moderators' note, then
        (when the deployment says so) the message deleted. The reporter's thanks is the caller's."""
        flag = outcome.flag
        if flag is None:
            return
        for delivery in outcome.deliveries:
            if delivery.to is To.POSTER:
                await self._notify_poster(message, flag, outcome.flag_id, earlier)
            elif delivery.to is To.MODERATORS:
                await self._notify_moderators(message, flag, outcome.flag_id, delivery.channel)
        if outcome.delete:
            await self._delete(message, outcome.flag_id)

    async def _notify_poster(self, message: discord.Message, flag: Flag, flag_id: str, earlier: bool = False) -> None:
        """DM the poster; if their DMs are closed, a detail-free notice in the channel."""
        reply = poster_notice(
            flag, flag_id, message.jump_url, message.channel.id, self.settings.ask_who, earlier=earlier
        )
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

    async def _notify_moderators(self, message: discord.Message, flag: Flag, flag_id: str, target: str) -> None:
        """Post the redacted notice in the moderators' channel ``target``, if it is a text
        channel of this server."""
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
