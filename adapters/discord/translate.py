"""Pure conversions between discord.py objects and the core types.

Inbound: a :class:`discord.Message` becomes a core :class:`bot.types.Message`. Outbound:
answers, screening notices and settings become a :class:`Reply` (content, embeds, button
specs) that always fits Discord's limits: content 2,000, embed title 256, description
4,096, field 1,024, footer 2,048, all embeds of one message 6,000, custom id 100, button
label 80. Lengths are counted in UTF-16 code units (never fewer than code points), so a
reply fits however Discord counts. When something must give, the paragraph text is
trimmed; the citation (document, paragraph, heading, id and link) is never cut.

Contract: every function here is total (never raises on any text) and does no I/O.
Screening notices carry the flag's reasons, category and citation and, for moderators,
``Flag.redacted``; never the screened message's own text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import discord

from bot import (
    Actor,
    Answer,
    AnswerStatus,
    ChannelSettings,
    Citation,
    Conversation,
    Flag,
    FlagStatus,
    Message,
    Platform,
    citation_line,
    citation_notes,
    render_answer,
    see_also_line,
    superseded_lead_note,
    wording,
)

CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBEDS_TOTAL_LIMIT = 6000
CUSTOM_ID_LIMIT = 100
BUTTON_LABEL_LIMIT = 80
URL_LIMIT = 512

ELLIPSIS = "…"
TRIM_NOTE = "… (shortened: the full paragraph is at the link)"

SHARE_ID = "gmc:share"
FEEDBACK_TEMPLATE = r"gmc:fb:(?P<helpful>[01]):(?P<ids>[^\s]*)\Z"
FLAG_TEMPLATE = (
    r"gmc:flag:(?P<role>poster|mod):(?P<status>removed|false_alarm|confirmed):(?P<flag_id>[A-Za-z0-9_-]{1,64})\Z"
)
QUESTION_PREFIX = "**You asked:** "

_FLAG_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CITATION_ID = re.compile(r"[^\s,]{1,100}")
_SAFE_URL = re.compile(r"https?://[^\s<>]+")

CATEGORY_LABELS = wording.CATEGORY_LABELS

COLOUR_CURRENT = discord.Colour.blurple()
COLOUR_SUPERSEDED = discord.Colour.light_grey()
COLOUR_FLAG = discord.Colour.orange()


@dataclass(frozen=True)
class ButtonSpec:
    """A button to build: a link (``url``) or an action (``custom_id``).
    ``style`` names a :class:`discord.ButtonStyle` member."""

    label: str
    custom_id: str = ""
    url: str = ""
    style: str = "secondary"
    row: int = 0


@dataclass(frozen=True)
class Reply:
    """One message to send, already within Discord's limits."""

    content: str = ""
    embeds: tuple[discord.Embed, ...] = ()
    buttons: tuple[ButtonSpec, ...] = ()


# -- lengths ---------------------------------------------------------------------------
def ulen(text: str) -> int:
    """Length in UTF-16 code units (what the strictest reading of Discord's limits counts)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def clip(text: str, limit: int, marker: str = ELLIPSIS) -> str:
    """``text`` if it fits in ``limit``; otherwise a prefix (cut at a space where one is
    near) followed by ``marker``. The result always fits."""
    if ulen(text) <= limit:
        return text
    if ulen(marker) >= limit:
        marker = ELLIPSIS if limit >= 1 else ""
    budget = limit - ulen(marker)
    used = 0
    cut = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > budget:
            break
        cut = i + 1
    prefix = text[:cut]
    space = prefix.rfind(" ")
    if space > cut * 3 // 4:
        prefix = prefix[:space]
    return prefix.rstrip() + marker


def safe_url(url: str) -> str:
    """The URL if Discord will accept it in an embed or link button, else ``""``."""
    url = url.strip()
    return url if ulen(url) <= URL_LIMIT and _SAFE_URL.fullmatch(url) else ""


def embeds_length(embeds: Iterable[discord.Embed]) -> int:
    total = 0
    for e in embeds:
        total += ulen(e.title or "") + ulen(e.description or "") + ulen(e.footer.text or "")
        total += ulen(e.author.name or "")
        total += sum(ulen(f.name or "") + ulen(f.value or "") for f in e.fields)
    return total


def fit_embeds(embeds: Sequence[discord.Embed], limit: int = EMBEDS_TOTAL_LIMIT) -> tuple[discord.Embed, ...]:
    """Trim the longest descriptions until all embeds together fit ``limit``. Titles,
    fields and footers (where citations live) are left whole."""
    out = tuple(embeds)
    excess = embeds_length(out) - limit
    while excess > 0:
        longest = max(out, key=lambda e: ulen(e.description or ""))
        current = longest.description or ""
        if not current:
            break
        longest.description = clip(current, max(0, ulen(current) - excess), TRIM_NOTE) or None
        new_excess = embeds_length(out) - limit
        if new_excess >= excess:
            break
        excess = new_excess
    return out


# -- custom ids ------------------------------------------------------------------------
def feedback_custom_id(helpful: bool, citation_ids: Sequence[str]) -> str:
    """``gmc:fb:1:<id>,<id>``, keeping as many cited ids as fit in 100 characters."""
    head = f"gmc:fb:{1 if helpful else 0}:"
    kept: list[str] = []
    for cid in citation_ids:
        if not _CITATION_ID.fullmatch(cid):
            continue
        candidate = ",".join([*kept, cid])
        if len(head) + len(candidate) <= CUSTOM_ID_LIMIT:
            kept.append(cid)
    return head + ",".join(kept)


def parse_citation_ids(text: str) -> tuple[str, ...]:
    return tuple(i for i in text.split(",") if i)


def flag_custom_id(role: str, status: FlagStatus, flag_id: str) -> str:
    """``gmc:flag:<poster|mod>:<status>:<flag id>``; ``""`` when the id cannot be encoded."""
    if role not in ("poster", "mod") or not _FLAG_ID.fullmatch(flag_id):
        return ""
    return f"gmc:flag:{role}:{status.value}:{flag_id}"


# -- answers ---------------------------------------------------------------------------
def question_content(question: str) -> str:
    """The ephemeral answer's content: the question, so feedback can be stored with it."""
    return clip(QUESTION_PREFIX + question, CONTENT_LIMIT)


def question_from_content(content: str) -> str:
    """Inverse of :func:`question_content` (the clipped question; ``""`` if absent)."""
    return content[len(QUESTION_PREFIX) :] if content.startswith(QUESTION_PREFIX) else ""


def citation_embed(c: Citation, lead: str = "", see_also: Sequence[Citation] = ()) -> discord.Embed:
    """The cited paragraph: title = document, paragraph and heading (linked to the official
    page); description = the digest; fields = numbering/status notes and other citations;
    footer = the paragraph's stable id."""
    url = safe_url(c.document.url)
    embed = discord.Embed(
        title=clip(citation_line(c), EMBED_TITLE_LIMIT),
        url=url or None,
        description=clip(lead + c.paragraph.text, EMBED_DESCRIPTION_LIMIT, TRIM_NOTE) or None,
        colour=COLOUR_SUPERSEDED if c.superseded else COLOUR_CURRENT,
    )
    embed.add_field(name="Notes", value=clip("\n".join(citation_notes(c)), FIELD_VALUE_LIMIT), inline=False)
    if see_also:
        lines = [
            f"• {see_also_line(s)}" + (f"\n  {safe_url(s.document.url)}" if safe_url(s.document.url) else "")
            for s in see_also
        ]
        embed.add_field(name="See also", value=clip("\n".join(lines), FIELD_VALUE_LIMIT), inline=False)
    embed.set_footer(text=clip(f"Cited paragraph: {c.id}", FOOTER_LIMIT))
    return embed


def _answer_lead(answer: Answer) -> str:
    notes = [f"*{note}*" for note in wording.answer_notes(answer)]
    if superseded_lead_note(answer):
        notes.append(f"*{superseded_lead_note(answer)}*")
    return "\n".join(notes) + ("\n\n" if notes else "")


def link_button(url: str, label: str = "Official guidance", row: int = 0) -> tuple[ButtonSpec, ...]:
    url = safe_url(url)
    return (ButtonSpec(label=label, url=url, style="link", row=row),) if url else ()


def answer_reply(
    answer: Answer, ask_who: str = "", *, echo_question: bool = False, shareable: bool = False, feedback: bool = False
) -> Reply:
    """An answer as one message: the best citation's embed (other citations listed under
    "See also"), the official link button and, on request, Share and feedback buttons."""
    best = answer.best
    if answer.status is AnswerStatus.NO_MATCH or best is None:
        return Reply(content=clip(render_answer(answer, ask_who), CONTENT_LIMIT))
    embed = citation_embed(best, _answer_lead(answer), answer.citations[1:])
    buttons = list(link_button(best.document.url))
    if shareable:
        buttons.append(ButtonSpec(label="Share in channel", custom_id=SHARE_ID, style="primary"))
    if feedback:
        ids = [c.id for c in answer.citations]
        buttons.append(ButtonSpec(label="Helpful", custom_id=feedback_custom_id(True, ids), style="success", row=1))
        buttons.append(
            ButtonSpec(label="Not helpful", custom_id=feedback_custom_id(False, ids), style="secondary", row=1)
        )
    content = question_content(answer.question) if echo_question else ""
    return Reply(content=content, embeds=fit_embeds([embed]), buttons=tuple(buttons))


def rate_limited_reply(per_minute: int) -> Reply:
    return Reply(content=wording.rate_limited(per_minute))


def feedback_done_reply(content: str, embeds: Sequence[discord.Embed], helpful: bool) -> Reply:
    """The ephemeral answer after a feedback click: same answer, thanks line, feedback
    buttons gone (so one person's feedback is stored once)."""
    thanks = wording.FEEDBACK_HELPFUL if helpful else wording.FEEDBACK_NOT_HELPFUL
    url = embeds[0].url if embeds and embeds[0].url else ""
    buttons = (*link_button(url), ButtonSpec(label="Share in channel", custom_id=SHARE_ID, style="primary"))
    return Reply(content=append_line(content, thanks), embeds=tuple(embeds), buttons=buttons)


def shared_reply(embeds: Sequence[discord.Embed], sharer_id: int) -> Reply:
    """The answer reposted in the channel (without the asker's question)."""
    copies = [discord.Embed.from_dict(e.to_dict()) for e in embeds[:10]]
    url = copies[0].url if copies and copies[0].url else ""
    return Reply(content=f"<@{sharer_id}> shared this guidance:", embeds=fit_embeds(copies), buttons=link_button(url))


def append_line(content: str, line: str) -> str:
    """``content`` plus ``line`` on a new paragraph; the line is kept whole, the content
    clipped to make room."""
    line = clip(line, CONTENT_LIMIT)
    room = CONTENT_LIMIT - ulen(line) - 2
    head = clip(content, room) if room > 0 else ""
    return f"{head}\n\n{line}" if head else line


# -- screening notices -----------------------------------------------------------------
category_label = wording.category_label


def _reasons_text(flag: Flag) -> str:
    lines = [f"• {r}" for r in flag.reasons] or [f"• {category_label(flag.category)}"]
    others = [category_label(c) for c in flag.categories if c is not flag.category]
    if others:
        lines.append("Also: " + "; ".join(others))
    return "\n".join(lines)


def flag_buttons(role: str, flag_id: str, jump_url: str) -> tuple[ButtonSpec, ...]:
    """Link to the message, then the role's two outcome buttons (when the id encodes)."""
    buttons = list(link_button(jump_url, "Go to message"))
    if role == "poster":
        choices = (
            (FlagStatus.REMOVED, "I'll remove it", "primary"),
            (FlagStatus.FALSE_ALARM, "False alarm", "secondary"),
        )
    else:
        choices = ((FlagStatus.CONFIRMED, "Confirm", "danger"), (FlagStatus.FALSE_ALARM, "False alarm", "secondary"))
    for status, label, style in choices:
        custom_id = flag_custom_id(role, status, flag_id)
        if custom_id:
            buttons.append(ButtonSpec(label=label, custom_id=custom_id, style=style))
    return tuple(buttons)


def poster_notice(
    flag: Flag, flag_id: str, jump_url: str, channel_id: int, ask_who: str = "", *, earlier: bool = False
) -> Reply:
    """The DM to the poster: what was found (category and reasons, never the text or its
    identifiers), the cited paragraph and the outcome buttons. ``earlier``: the message was
    read late (the catch-up after a restart), which the notice says first."""
    who = f" If you are unsure, ask {ask_who}." if ask_who else ""
    late = f"{wording.EARLIER_MESSAGE} " if earlier else ""
    content = clip(
        f"{late}A message you posted in <#{channel_id}> may go against professional guidance on social media. "
        f"Please look at it again and remove or edit it if needed.{who}",
        CONTENT_LIMIT,
    )
    found = discord.Embed(
        title=clip(f"What I found: {category_label(flag.category)}", EMBED_TITLE_LIMIT),
        description=clip(_reasons_text(flag), EMBED_DESCRIPTION_LIMIT) or None,
        colour=COLOUR_FLAG,
    )
    found.add_field(name="Severity", value=flag.severity.value, inline=True)
    embeds = [found]
    if flag.citations:
        embeds.append(citation_embed(flag.citations[0]))
    return Reply(content=content, embeds=fit_embeds(embeds), buttons=flag_buttons("poster", flag_id, jump_url))


def channel_notice(user_id: int) -> Reply:
    """The fallback when the poster's DMs are closed: names no details at all."""
    return Reply(
        content=(
            f"<@{user_id}>, I tried to send you a private note about a message you posted here, but your "
            "direct messages are closed. Please review your message against your professional guidance, "
            "or allow direct messages from this server so I can tell you more."
        )
    )


def moderator_notice(flag: Flag, flag_id: str, jump_url: str, channel_id: int, poster_id: int) -> Reply:
    """The moderators' embed: the redacted excerpt, the reasons, the guidance, a jump link
    and Confirm / False alarm buttons."""
    excerpt = discord.utils.escape_markdown(flag.redacted)
    embed = discord.Embed(
        title=clip(f"Possible risk: {category_label(flag.category)}", EMBED_TITLE_LIMIT),
        description=clip("Redacted excerpt:\n>>> " + excerpt, EMBED_DESCRIPTION_LIMIT) or None,
        colour=COLOUR_FLAG,
    )
    embed.add_field(name="Severity", value=flag.severity.value, inline=True)
    embed.add_field(name="Channel", value=f"<#{channel_id}>", inline=True)
    embed.add_field(name="Posted by", value=f"<@{poster_id}>", inline=True)
    embed.add_field(name="Why", value=clip(_reasons_text(flag), FIELD_VALUE_LIMIT), inline=False)
    if flag.citations:
        c = flag.citations[0]
        url = safe_url(c.document.url)
        embed.add_field(
            name="Guidance", value=clip(citation_line(c) + (f"\n{url}" if url else ""), FIELD_VALUE_LIMIT), inline=False
        )
    embed.set_footer(text=clip(f"Flag {flag_id}", FOOTER_LIMIT))
    return Reply(embeds=fit_embeds([embed]), buttons=flag_buttons("mod", flag_id, jump_url))


def outcome_reply(
    role: str, status: FlagStatus, actor_id: int, content: str, embeds: Sequence[discord.Embed], jump_url: str
) -> Reply:
    """A notice after its outcome button was pressed: same embeds, outcome line added, only
    the jump link left."""
    line = wording.outcome_line(status, f"<@{actor_id}>", moderator=role == "mod")
    return Reply(
        content=append_line(content, line), embeds=tuple(embeds), buttons=link_button(jump_url, "Go to message")
    )


# -- settings --------------------------------------------------------------------------
def settings_text(cs: ChannelSettings, delete_flagged: bool, can_delete: bool) -> str:
    """The channel's settings as the ``/gmc-settings`` reply."""
    mods = f"<#{cs.moderators_channel}>" if cs.moderators_channel else "none"
    lines = [
        f"Settings for <#{cs.channel}>:",
        f"• Screening: {'on' if cs.monitored else 'off'}",
        f"• Moderators' channel: {mods}",
        f"• Sensitivity: {cs.sensitivity}",
        f"• Audience (whose guidance comes first): {cs.audience or 'the server default'}",
        f"• Delete flagged messages (server-wide setting `delete_flagged`): {'on' if delete_flagged else 'off'}",
    ]
    if delete_flagged and not can_delete:
        lines.append("⚠ I lack the Manage Messages permission here, so I cannot delete flagged messages.")
    return clip("\n".join(lines), CONTENT_LIMIT)


# -- inbound ---------------------------------------------------------------------------
def settings_channel_id(channel: object, fallback: int) -> int:
    """The channel whose settings apply: a thread follows its parent channel."""
    if isinstance(channel, discord.Thread) and channel.parent_id:
        return channel.parent_id
    return fallback


def addressed_to(message: discord.Message, bot_id: int) -> bool:
    """True when the message mentions the bot by user mention (not @everyone or roles)."""
    return bot_id in message.raw_mentions


_MARKUP = re.compile(r"<[@#][!&]?\d+>|<a?:\w+:\d+>|<https?://[^>]*>")


def plain_text(text: str) -> str:
    """Discord markup -> the plain text the core reads: user, role and channel mentions,
    custom emoji and links wrapped to suppress their preview (``<https://…>``) removed."""
    while True:  # until none is left: removing one can join the halves of another
        text, n = _MARKUP.subn(" ", text)
        if not n:
            return " ".join(text.split())


def strip_mention(text: str, bot_id: int) -> str:
    """The question in a mention: the text without the bot's own mention."""
    return re.sub(rf"<@!?{bot_id}>", " ", text).strip()


_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic", ".bmp", ".tif", ".tiff")


def has_image(message: discord.Message) -> bool:
    for a in message.attachments:
        if (a.content_type or "").startswith("image/") or a.filename.lower().endswith(_IMAGE_EXTENSIONS):
            return True
    return False


def message_to_core(message: discord.Message) -> Message:
    """The core's view of a Discord message: text, author id, where it lives (a thread's
    settings channel is its parent), the jump URL as ``ref`` and whether it has an image."""
    guild = message.guild
    channel = message.channel
    thread = isinstance(channel, discord.Thread)
    conv = Conversation(
        platform=Platform.DISCORD,
        workspace=str(guild.id) if guild else "",
        channel=str(settings_channel_id(channel, message.channel.id)),
        thread=str(channel.id) if thread else "",
        is_direct=guild is None,
    )
    actor = Actor(user_id=str(message.author.id), is_bot=message.author.bot)
    return Message(
        text=message.content, actor=actor, conversation=conv, ref=message.jump_url, has_image=has_image(message)
    )


def actor_of(user: discord.abc.User) -> Actor:
    return Actor(user_id=str(user.id), is_bot=user.bot)
