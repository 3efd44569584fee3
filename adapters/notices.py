"""The wording of screening notices, shared by the chat adapters that use plain sentences
(Discord and Teams): what each category is called, what the poster is told, and the line
added when someone answers a notice. Pure data and string functions; no platform types.

Contract: nothing here ever receives or returns the screened message's text; notices are
built from a flag's category, reasons and citations only.
"""

from __future__ import annotations

from bot.types import Category, FlagStatus

CATEGORY_LABELS: dict[Category, str] = {
    Category.PATIENT_IDENTIFIABLE: "information that could identify a patient",
    Category.PATIENT_IMAGE: "an image that may show a patient",
    Category.DISRESPECT: "language that may be disrespectful about patients or colleagues",
    Category.BOUNDARIES: "professional boundaries with a patient",
    Category.CONFLICT_OF_INTEREST: "a possible conflict of interest",
    Category.HONESTY: "honesty about your role or qualifications",
    Category.INFORMATION_SECURITY: "information security",
}


def category_label(category: Category) -> str:
    """The plain-English name of a screening category."""
    return CATEGORY_LABELS.get(category, category.value)


def poster_notice_text(where: str, ask_who: str = "") -> str:
    """The first lines of the private notice to a poster; ``where`` names the channel in the
    platform's own markup (``<#123>`` on Discord, a channel name on Teams)."""
    who = f" If you are unsure, ask {ask_who}." if ask_who else ""
    return (
        f"A message you posted in {where} may go against professional guidance on social media. "
        f"Please look at it again and remove or edit it if needed.{who}"
    )


# The line added to a notice once it is answered; ``{actor}`` is the platform's way of naming
# the moderator (a mention on Discord, a display name on Teams).
OUTCOME_TEXT: dict[tuple[str, FlagStatus], str] = {
    ("poster", FlagStatus.REMOVED): "Thanks: you said you'll remove it.",
    ("poster", FlagStatus.FALSE_ALARM): "Thanks: noted as a false alarm.",
    ("mod", FlagStatus.CONFIRMED): "Confirmed by {actor}.",
    ("mod", FlagStatus.FALSE_ALARM): "Marked as a false alarm by {actor}.",
}


def outcome_line(role: str, status: FlagStatus, actor: str) -> str:
    """The sentence recording who answered a notice, and how."""
    return OUTCOME_TEXT.get((role, status), f"Marked as {status.value}.").format(actor=actor)
