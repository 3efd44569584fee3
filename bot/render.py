"""Platform-neutral text for the console, the CLI and logs."""

from __future__ import annotations

import textwrap

from bot.types import Answer, AnswerStatus, Citation, Screening

NO_MATCH_TEXT = "Nothing in the guidance corpus answers that question, so I won't cite something loosely related."


def citation_line(c: Citation) -> str:
    """ "Document title, paragraph N (heading)" plus notes on numbering and status."""
    p, d = c.paragraph, c.document
    label = f"paragraph {p.number}" if p.number[:1].isdigit() else f"section {p.number}"
    return f"{d.title} ({d.publisher}), {label} ({p.heading})"


def see_also_line(c: Citation) -> str:
    """:func:`citation_line` for a citation listed under "See also", marked when its
    document is superseded, so a list of further paragraphs never passes old guidance off as
    current."""
    line = citation_line(c)
    if not c.superseded:
        return line
    when = f" on {c.document.superseded_on}" if c.document.superseded_on else ""
    return f"{line} [superseded{when}; history only]"


def citation_notes(c: Citation) -> list[str]:
    """The caveats a reader must see with this citation."""
    notes: list[str] = []
    if c.reconstructed:
        notes.append("Paragraph number reconstructed from secondary sources; check it against the official text.")
    if c.superseded:
        d = c.document
        succ = f" by {d.superseded_by}" if d.superseded_by else ""
        when = f" on {d.superseded_on}" if d.superseded_on else ""
        notes.append(f"This document was superseded{succ}{when}; it is shown for history.")
    if c.document.source == "official":
        notes.append("Quoted from the official text.")
    else:
        notes.append("Plain-English digest, not the official wording.")
    return notes


def superseded_lead_note(answer: Answer) -> str:
    """For an answer led by superseded guidance: says so, and names the closest guidance
    in force among its citations (empty when the lead is in force)."""
    best = answer.best
    if best is None or not best.superseded:
        return ""
    current = next((c for c in answer.citations[1:] if c.document.status.value == "current"), None)
    note = "Only superseded guidance states this point directly; it is shown for history."
    if current is not None:
        note += f" The closest guidance in force: {citation_line(current)}."
    return note


def render_citation(c: Citation, width: int = 88) -> str:
    body = textwrap.fill(c.paragraph.text, width)
    lines = [body, "", f"  — {citation_line(c)}"]
    lines += [f"    {n}" for n in citation_notes(c)]
    lines.append(f"    {c.document.url}")
    return "\n".join(lines)


def render_answer(answer: Answer, ask_who: str = "", width: int = 88) -> str:
    """The readable answer: the digest, then the citation, notes and link."""
    if answer.status is AnswerStatus.NO_MATCH or not answer.citations:
        who = answer.route or ask_who
        tail = f" Try asking {who}." if who else ""
        return NO_MATCH_TEXT + tail
    parts: list[str] = []
    if answer.note:
        parts.append(textwrap.fill(answer.note, width))
    if answer.truncated:
        parts.append("(Your question was over 2,000 characters; I used the first 2,000.)")
    if answer.status is AnswerStatus.LOW_CONFIDENCE:
        parts.append("This may not answer your question exactly; the closest guidance is:")
    note = superseded_lead_note(answer)
    if note:
        parts.append(textwrap.fill(note, width))
    parts.append(render_citation(answer.citations[0], width))
    if len(answer.citations) > 1:
        parts.append("See also:")
        for c in answer.citations[1:]:
            parts.append(f"  • {see_also_line(c)}\n    {c.document.url}")
    return "\n\n".join(parts)


def render_screening(result: Screening) -> str:
    """The readable verdict of ``gmcbot check``: never the identifiers themselves."""
    flag = result.flag
    if flag is None:
        return "No risk found."
    lines = [f"FLAGGED: {flag.category.value} (severity {flag.severity.value})"]
    others = [c.value for c in flag.categories if c is not flag.category]
    if others:
        lines.append(f"Also: {', '.join(others)}")
    lines += [f"- {r}" for r in flag.reasons]
    for c in flag.citations[:2]:
        lines.append(f"Guidance: {citation_line(c)}\n  {c.document.url}")
    lines.append(f"Redacted: {result.redacted}")
    return "\n".join(lines)
