"""Pure Block Kit rendering of core results. No I/O, no slack-bolt imports.

Every builder returns at most :data:`MAX_BLOCKS` blocks; every text field passes through
:func:`~adapters.slack.translate.safe_mrkdwn` (escaped, broadcasts defused, clipped to
Slack's limits), so nothing a user typed can ping anyone. Citation wording comes from
:mod:`bot.render`. The screened message's text is never rendered: a poster's notice
names the category, reasons and guidance; a moderators' notice adds only the
flag's redacted excerpt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.slack.translate import (
    channel_ref,
    clip_plain,
    encode_value,
    safe_mrkdwn,
    user_ref,
)
from bot import (
    Answer,
    AnswerStatus,
    Category,
    ChannelSettings,
    Citation,
    Flag,
    citation_line,
    citation_notes,
    render_answer,
    superseded_lead_note,
    wording,
)

Block = dict[str, Any]

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
CONTEXT_LIMIT = 2000
MAX_CONTEXT_ELEMENTS = 10
BUTTON_TEXT_LIMIT = 75
URL_LIMIT = 3000
FALLBACK_LIMIT = 3000
EXCERPT_LIMIT = 1500
EXCERPT_LINES = 30
MORE_LIMIT = 2  # further paragraphs shown on request

# action ids (app.py registers a listener for each)
SHARE = "gmc_share"
HELPFUL = "gmc_helpful"
NOT_HELPFUL = "gmc_not_helpful"
MORE = "gmc_more"
OPEN_LINK = "gmc_open_link"
FLAG_REMOVING = "gmc_flag_removing"
FLAG_FALSE_ALARM = "gmc_flag_false_alarm"
REVIEW_CONFIRM = "gmc_review_confirm"
REVIEW_FALSE_ALARM = "gmc_review_false_alarm"
MONITOR_ON = "gmc_settings_monitor_on"
MONITOR_OFF = "gmc_settings_monitor_off"

CATEGORY_LABELS = {
    Category.PATIENT_IDENTIFIABLE: "patient-identifiable information",
    Category.PATIENT_IMAGE: "a patient image",
    Category.DISRESPECT: "disrespectful content",
    Category.BOUNDARIES: "professional boundaries",
    Category.CONFLICT_OF_INTEREST: "a conflict of interest",
    Category.HONESTY: "honesty and openness",
    Category.INFORMATION_SECURITY: "information security",
}

EXAMPLE_QUESTIONS = (
    "Can I accept a friend request from a patient?",
    "Can I post about an interesting case if I leave out the name?",
    "Is it OK to share patient details in a WhatsApp group?",
    "Should I say I'm a doctor when I post health advice?",
)


# -- primitives ----------------------------------------------------------------------------
def mrkdwn(text: str, limit: int = SECTION_LIMIT) -> dict[str, Any]:
    """A mrkdwn text object of escaped, defused, clipped ``text``."""
    return {"type": "mrkdwn", "text": safe_mrkdwn(text, limit) or " ", "verbatim": True}


def trusted_mrkdwn(markup: str) -> dict[str, Any]:
    """A mrkdwn text object of markup this module built from escaped parts and ids."""
    return {"type": "mrkdwn", "text": markup, "verbatim": True}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def context(*texts: str) -> Block:
    elements = [mrkdwn(t, CONTEXT_LIMIT) for t in texts if t][:MAX_CONTEXT_ELEMENTS]
    return {"type": "context", "elements": elements or [mrkdwn(" ")]}


def button(label: str, action_id: str, value: str = "", url: str = "", style: str = "") -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": clip_plain(label, BUTTON_TEXT_LIMIT), "emoji": True},
    }
    if value:
        element["value"] = value
    if url:
        element["url"] = url
    if style:
        element["style"] = style
    return element


def actions(*elements: dict[str, Any]) -> Block:
    return {"type": "actions", "elements": list(elements)[:25]}


def usable_url(url: str) -> str:
    """``url`` if it is an http(s) address within Slack's limit, else ``""``."""
    ok = isinstance(url, str) and url.startswith(("https://", "http://")) and len(url) <= URL_LIMIT
    return url if ok else ""


def fit(blocks: Sequence[Block]) -> list[Block]:
    """At most :data:`MAX_BLOCKS` blocks; the last says when some were left out."""
    if len(blocks) <= MAX_BLOCKS:
        return list(blocks)
    return [*blocks[: MAX_BLOCKS - 1], context("Some of this reply was left out to fit Slack's limits.")]


def fallback(text: str) -> str:
    """The notification text sent beside blocks (escaped, clipped)."""
    return safe_mrkdwn(text, FALLBACK_LIMIT)


# -- answers -------------------------------------------------------------------------------
def citation_blocks(c: Citation) -> list[Block]:
    """The cited paragraph, then the context line: document, paragraph, heading and notes."""
    return [section(c.paragraph.text), context(citation_line(c), *citation_notes(c))]


def link_button(c: Citation, label: str = "Official guidance") -> list[dict[str, Any]]:
    url = usable_url(c.document.url)
    return [button(label, OPEN_LINK, url=url)] if url else []


def answer_blocks(answer: Answer, ask_who: str, *, shareable: bool, shared_by: str = "", ref: str = "") -> list[Block]:
    """An answer: the digest, its context line, a link to the official page, and
    buttons to share it (when ``shareable``), rate it and see further paragraphs.
    A ``no_match`` answer says so and suggests ``ask_who``. The buttons carry ``ref`` (the
    core's reference to the question) and the cited paragraph ids, never the question."""
    best = answer.best
    if answer.status is AnswerStatus.NO_MATCH or best is None:
        return [
            section(render_answer(answer, ask_who)),
            context("Try rephrasing, or type `/gmc help` for example questions."),
        ]
    blocks: list[Block] = []
    if shared_by:
        blocks.append(
            {
                "type": "context",
                "elements": [trusted_mrkdwn(f"{user_ref(shared_by)} shared this answer from the guidance.")],
            }
        )
    blocks += [context(note) for note in wording.answer_notes(answer)]
    if superseded_lead_note(answer):
        blocks.append(context(superseded_lead_note(answer)))
    blocks += citation_blocks(best)
    value = encode_value(ref, [c.id for c in answer.citations], answer.status is AnswerStatus.LOW_CONFIDENCE)
    buttons = link_button(best)
    if shareable:
        buttons.append(button("Share in channel", SHARE, value=value, style="primary"))
    buttons += [button("Helpful", HELPFUL, value=value), button("Not helpful", NOT_HELPFUL, value=value)]
    if len(answer.citations) > 1:
        buttons.append(button("More", MORE, value=value))
    blocks.append(actions(*buttons))
    return fit(blocks)


def answer_fallback(answer: Answer, ask_who: str) -> str:
    return fallback(render_answer(answer, ask_who))


def more_blocks(answer: Answer) -> list[Block]:
    """Up to :data:`MORE_LIMIT` further cited paragraphs, each with its link."""
    further = answer.citations[1 : 1 + MORE_LIMIT]
    if not further:
        return [section("I have no further paragraphs on that question.")]
    blocks: list[Block] = [context("Further guidance on your question:")]
    for c in further:
        blocks += citation_blocks(c)
        link = link_button(c)
        if link:
            blocks.append(actions(*link))
    return fit(blocks)


def help_blocks(ask_who: str) -> list[Block]:
    """What the bot does, with example questions."""
    examples = "\n".join(f"• `/gmc {q}`" for q in EXAMPLE_QUESTIONS)
    return fit(
        [
            section(
                "*I answer questions about UK professional guidance on social media and messaging*, "
                "privately, with the paragraph I rely on and a link to the official page."
            ),
            section("Try:\n" + examples),
            section(
                "You can also mention me in a channel (I answer in the thread) or message me directly. "
                "In channels where an admin has turned screening on, I tell you privately if a message "
                "may breach guidance; I never repost it."
            ),
            section(
                "*Tell me your profession once* and I'll put your regulator's guidance first: "
                "`/gmc profession nurse` (or midwife, HCA, physio, paramedic, FY1, PA, student nurse). "
                "`/gmc profession` shows it; `/gmc profession clear` forgets it. Only you see the replies."
            ),
            context(f"For anything the guidance does not cover, ask {ask_who}. Workspace admins: `/gmc settings`."),
        ]
    )


# -- flags -----------------------------------------------------------------------------------
def category_label(category: Category) -> str:
    return CATEGORY_LABELS.get(category, category.value)


def _categories(flag: Flag) -> str:
    others = [category_label(c) for c in flag.categories if c is not flag.category]
    return category_label(flag.category) + (f" (also {', '.join(others)})" if others else "")


def flag_notice_blocks(flag: Flag, flag_id: str, moderators_told: bool = False) -> list[Block]:
    """The poster's private notice: category, reasons, the cited paragraph, and buttons
    to say they will remove the message or that it is a false alarm. Never the text."""
    blocks: list[Block] = [
        section(f":warning: *Your message may breach professional guidance:* {_categories(flag)}."),
    ]
    if flag.reasons:
        blocks.append(section("\n".join(f"• {r}" for r in flag.reasons)))
    best = flag.citations[0] if flag.citations else None
    if best is not None:
        blocks += citation_blocks(best)
    told = " A redacted note has gone to the channel's moderators." if moderators_told else ""
    blocks.append(context("Only you can see this; I have not shared your message." + told))
    buttons = [
        button("I'll remove it", FLAG_REMOVING, value=flag_id, style="primary"),
        button("This is a false alarm", FLAG_FALSE_ALARM, value=flag_id),
    ]
    if best is not None:
        buttons += link_button(best, "Read the guidance")
    blocks.append(actions(*buttons))
    return fit(blocks)


def flag_notice_fallback(flag: Flag) -> str:
    return fallback(f"Your message may breach professional guidance: {_categories(flag)}. Only you can see this.")


def _quote(text: str) -> str:
    lines = safe_mrkdwn(text, EXCERPT_LIMIT).split("\n")
    shown = lines[:EXCERPT_LINES] + (["…"] if len(lines) > EXCERPT_LINES else [])
    return "\n".join("> " + line for line in shown)


def moderator_blocks(flag: Flag, flag_id: str, channel: str, permalink: str) -> list[Block]:
    """The moderators' notice: category, the flag's redacted excerpt, reasons, the cited
    paragraph reference, a permalink and Confirm / False alarm buttons."""
    head = (
        f":warning: Possible *{safe_mrkdwn(_categories(flag), 500)}* "
        f"(severity {safe_mrkdwn(flag.severity.value, 20)}) in {channel_ref(channel)}."
    )
    blocks: list[Block] = [
        {"type": "section", "text": trusted_mrkdwn(head)},
        {"type": "section", "text": trusted_mrkdwn("*Redacted excerpt*\n" + _quote(flag.redacted))},
    ]
    if flag.reasons:
        blocks.append(context(*(f"• {r}" for r in flag.reasons[:MAX_CONTEXT_ELEMENTS])))
    if flag.citations:
        blocks.append(context("Guidance: " + citation_line(flag.citations[0])))
    buttons: list[dict[str, Any]] = []
    link = usable_url(permalink)
    if link:
        buttons.append(button("View message", OPEN_LINK, url=link))
    buttons += [
        button("Confirm", REVIEW_CONFIRM, value=flag_id, style="danger"),
        button("False alarm", REVIEW_FALSE_ALARM, value=flag_id),
    ]
    blocks.append(actions(*buttons))
    return fit(blocks)


def moderator_fallback(flag: Flag) -> str:
    return fallback(f"Possible {_categories(flag)}: a message was flagged for review.")


def reviewed_blocks(original: Any, note: str) -> list[Block]:
    """The moderators' notice after a decision: the original's text blocks (the kinds
    the notice is made of; its buttons and anything else are left out, so an odd block in
    the click payload cannot make Slack refuse the update), and a line saying who decided
    what (``note`` is trusted markup)."""
    kept = (
        [b for b in original if isinstance(b, dict) and b.get("type") in ("section", "context")]
        if isinstance(original, list)
        else []
    )
    return fit([*kept[: MAX_BLOCKS - 1], {"type": "context", "elements": [trusted_mrkdwn(note)]}])


# -- settings ----------------------------------------------------------------------------------
def settings_blocks(cs: ChannelSettings, default_moderators: str = "") -> list[Block]:
    """A channel's settings for a workspace admin, with a button to toggle screening."""
    state = "*on*" if cs.monitored else "*off*"
    audience = (
        f"*{cs.audience}* (their guidance first, unless the question or the asker's saved profession says otherwise)"
        if cs.audience
        else "the workspace default"
    )
    if cs.moderators_channel:
        mods = channel_ref(cs.moderators_channel)
    elif default_moderators:
        mods = f"{channel_ref(default_moderators)} (the workspace default)"
    else:
        mods = "none"
    toggle = (
        button("Turn screening off", MONITOR_OFF, value=cs.channel)
        if cs.monitored
        else button("Turn screening on", MONITOR_ON, value=cs.channel, style="primary")
    )
    return fit(
        [
            {"type": "section", "text": trusted_mrkdwn(f"*gmcbot settings for {channel_ref(cs.channel)}*")},
            {
                "type": "section",
                "text": trusted_mrkdwn(
                    f"Screening: {state}. When on, I check each message posted here and tell the poster "
                    f"privately if it may breach guidance.\nModerators' channel: {mods}.\n"
                    f"Audience: {audience}."
                ),
            },
            actions(toggle),
            context(
                "`/gmc settings monitor on|off` · `/gmc settings moderators #channel` · "
                "`/gmc settings moderators off` · `/gmc settings audience doctors|nurses|ahp|off`. "
                "I must be a member of both channels (`/invite @gmcbot`)."
            ),
        ]
    )


def settings_fallback(cs: ChannelSettings) -> str:
    return fallback(f"gmcbot settings: screening {'on' if cs.monitored else 'off'}.")
