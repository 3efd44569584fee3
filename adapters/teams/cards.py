"""Adaptive Cards (schema 1.5, as Teams renders them) for answers, poster notices,
moderators' notices and their outcomes, as plain JSON dicts.

Contract: pure and total; no I/O. An answer card shows the digest, the citation (document,
paragraph, heading), its notes (numbering, status, digest or official wording) and the link;
a notice card shows the flag's category, reasons, severity and guidance and, for moderators,
``Flag.redacted``: never the screened message's own text. Buttons are ``Action.Execute``
with verb ``gmc.flag`` and data ``{role, status, flag}``: ids only, never text.
"""

from __future__ import annotations

from typing import Any

from bot import (
    Answer,
    AnswerStatus,
    Category,
    Citation,
    Flag,
    FlagStatus,
    citation_line,
    citation_notes,
    render_answer,
    see_also_line,
    superseded_lead_note,
    wording,
)

Json = dict[str, Any]
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
# Teams rejects a message over about 28 KB; a cited paragraph is cut well before that.
TEXT_LIMIT = 6000
TRIM_NOTE = "… (shortened: the full paragraph is at the link)"


def _clip(text: str, limit: int = TEXT_LIMIT, marker: str = TRIM_NOTE) -> str:
    return text if len(text) <= limit else text[: max(0, limit - len(marker))].rstrip() + marker


def text_block(text: str, **style: Any) -> Json:
    """A wrapping TextBlock. Adaptive Card text is Markdown-lite, so the caller escapes."""
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def escape(text: str) -> str:
    """Text shown as written: the characters that start Markdown in Adaptive Card TextBlocks
    (emphasis, links, code, strike) backslash-escaped, angle brackets as entities."""
    out = []
    for ch in text:
        if ch in "\\`*_[]~":
            out.append("\\" + ch)
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        else:
            out.append(ch)
    return "".join(out)


def card(body: list[Json], actions: list[Json] | None = None) -> Json:
    content: Json = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    if actions:
        content["actions"] = actions
    return content


def attachment(content: Json) -> Json:
    """The activity attachment that carries a card."""
    return {"contentType": CARD_TYPE, "content": content}


def open_url(title: str, url: str) -> list[Json]:
    url = url.strip()
    return [{"type": "Action.OpenUrl", "title": title, "url": url}] if url.startswith(("https://", "http://")) else []


def citation_blocks(c: Citation, lead: str = "") -> list[Json]:
    """The cited paragraph: its digest, then the citation line and its notes."""
    blocks = []
    if lead:
        blocks.append(text_block(escape(lead), isSubtle=True))
    blocks.append(text_block(escape(_clip(c.paragraph.text))))
    blocks.append(text_block(escape(citation_line(c)), weight="Bolder", spacing="Medium"))
    blocks += [text_block(escape(n), isSubtle=True, size="Small", spacing="None") for n in citation_notes(c)]
    blocks.append(text_block(escape(f"Cited paragraph: {c.id}"), isSubtle=True, size="Small", spacing="None"))
    return blocks


def answer_card(answer: Answer, ask_who: str = "") -> Json:
    """The answer as a card: the lead citation in full, others under "See also", the link."""
    best = answer.best
    if answer.status is AnswerStatus.NO_MATCH or best is None:
        return card([text_block(escape(render_answer(answer, ask_who)))])
    notes = wording.answer_notes(answer)
    if superseded_lead_note(answer):
        notes.append(superseded_lead_note(answer))
    body = citation_blocks(best, " ".join(notes))
    if answer.citations[1:]:
        body.append(text_block("See also", weight="Bolder", spacing="Medium"))
        for other in answer.citations[1:]:
            body.append(text_block(escape(f"• {see_also_line(other)} {other.document.url}"), spacing="None"))
    return card(body, open_url("Official guidance", best.document.url))


def _reasons(flag: Flag) -> list[Json]:
    lines = [f"• {r}" for r in flag.reasons] or [f"• {wording.category_label(flag.category)}"]
    others = [wording.category_label(c) for c in flag.categories if c is not flag.category]
    if others:
        lines.append("Also: " + "; ".join(others))
    return [text_block(escape(line), spacing="None") for line in lines]


def _guidance(flag: Flag) -> list[Json]:
    if not flag.citations:
        return []
    c = flag.citations[0]
    return [text_block("Guidance", weight="Bolder", spacing="Medium"), *citation_blocks(c)]


def flag_actions(role: str, flag_id: str) -> list[Json]:
    """The two outcome buttons for the poster (remove, false alarm) or moderators (confirm,
    false alarm)."""
    if role == "poster":
        choices = ((FlagStatus.REMOVED, "I'll remove it"), (FlagStatus.FALSE_ALARM, "False alarm"))
    else:
        choices = ((FlagStatus.CONFIRMED, "Confirm"), (FlagStatus.FALSE_ALARM, "False alarm"))
    return [
        {
            "type": "Action.Execute",
            "title": label,
            "verb": "gmc.flag",
            "data": {"role": role, "status": status.value, "flag": flag_id},
        }
        for status, label in choices
    ]


def poster_card(flag: Flag, flag_id: str, channel_name: str, ask_who: str = "", moderators_told: bool = False) -> Json:
    """The private notice to the poster: what was found (never the text), the guidance and
    the outcome buttons."""
    where = f" in {channel_name}" if channel_name else ""
    who = f" If you are unsure, ask {ask_who}." if ask_who else ""
    body = [
        text_block(escape(wording.poster_headline(flag)), weight="Bolder"),
        *_reasons(flag),
        text_block(escape(f"Severity: {flag.severity.value}"), isSubtle=True),
        text_block(escape(f"Please look at your message{where} again and remove or edit it if needed.{who}")),
        *_guidance(flag),
        text_block(escape(wording.NOTICE_PRIVATE), isSubtle=True, size="Small"),
    ]
    if moderators_told:
        body.append(text_block(escape(wording.NOTICE_MODERATORS_TOLD), isSubtle=True, size="Small", spacing="None"))
    return card(body, flag_actions("poster", flag_id))


def moderator_card(flag: Flag, flag_id: str, channel_name: str = "") -> Json:
    """The moderators' notice: the redacted excerpt, why, the guidance, Confirm / False alarm."""
    body = [
        text_block(escape(wording.moderators_headline(flag)), weight="Bolder", size="Medium"),
        text_block("Redacted excerpt:", isSubtle=True),
        {
            "type": "Container",
            "style": "emphasis",
            "items": [text_block(escape(_clip(flag.redacted, 2000, "…")))],
        },
        {
            "type": "FactSet",
            "facts": [
                {"title": "Severity", "value": flag.severity.value},
                {"title": "Channel", "value": escape(channel_name or "a monitored channel")},
                {"title": "Flag", "value": flag_id},
            ],
        },
        text_block("Why", weight="Bolder", spacing="Medium"),
        *_reasons(flag),
        *_guidance(flag),
    ]
    return card(body, flag_actions("mod", flag_id))


def outcome_card(flag_id: str, category: str, redacted: str, role: str, status: FlagStatus, actor_name: str) -> Json:
    """A notice after one of its buttons worked (the card Teams shows in place of the old
    one): the flag's id and category, for moderators its redacted excerpt again, and the
    outcome line; no buttons."""
    try:
        label = wording.category_label(Category(category))
    except ValueError:
        label = category
    body = [text_block(escape(f"Flag {flag_id}: {label}"), weight="Bolder")]
    if role == "mod":
        body.append(text_block(escape(_clip(redacted, 2000, "…")), isSubtle=True))
    line = wording.outcome_line(status, actor_name or "A moderator", moderator=role == "mod")
    return card([*body, text_block(escape(line), spacing="Medium")])


def message_card(text: str) -> Json:
    """A one-line card (refusals, thanks)."""
    return card([text_block(escape(text))])
