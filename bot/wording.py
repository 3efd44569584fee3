"""Wording that is the same on every platform, kept once.

Adapters lay these out in their platform's idiom (Block Kit, embeds, Adaptive Cards) and
add only what is platform-specific (how to delete a message there, who counts as an
admin). None of this text holds anything from a message: notices name the category and
reasons of a flag, never what was written.
"""

from __future__ import annotations

from bot.audience import REGULATORS, WHO
from bot.types import Answer, AnswerStatus, Category, Flag, FlagStatus

SORRY = "Sorry, something went wrong on my side and I couldn't answer. Please try again in a minute."
EMPTY_QUESTION = "Ask me about professional guidance on social media, e.g. *can I reply to a patient on Twitter?*"
TRUNCATED_NOTE = "I read only the first 2,000 characters of your question."
LOW_CONFIDENCE_NOTE = "The closest guidance I found (it may not answer your question exactly):"
NO_FURTHER = "I have no further paragraphs on that question."
FEEDBACK_THANKS = "Thanks, I've noted that."
FEEDBACK_HELPFUL = "Thanks, noted as helpful."
FEEDBACK_NOT_HELPFUL = "Thanks, noted as not helpful."
REPORT_THANKS = "Thanks. I've passed this message to the moderators for review."
REPORT_RECORDED = (
    "Thanks. I've recorded this message for review; no moderators' channel is set here, "
    "so an IG lead will see it in the review console."
)
NOTICE_PRIVATE = "Only you can see this; I have not shared your message."
NOTICE_MODERATORS_TOLD = "A redacted note has gone to the channel's moderators."
MODERATORS_NOTE = "a message was flagged for review."
# Said first in a notice about a message read late, after a restart or a lost connection.
EARLIER_MESSAGE = "This is about a message you posted earlier, while I was offline."

# How a flag's categories are named to people (one wording for every platform).
CATEGORY_LABELS: dict[Category, str] = {
    Category.PATIENT_IDENTIFIABLE: "patient-identifiable information",
    Category.PATIENT_IMAGE: "a patient image",
    Category.DISRESPECT: "disrespectful content",
    Category.BOUNDARIES: "professional boundaries",
    Category.CONFLICT_OF_INTEREST: "a conflict of interest",
    Category.HONESTY: "honesty and openness",
    Category.INFORMATION_SECURITY: "information security",
}

# The line added to a notice once its outcome button was pressed; ``{actor}`` is the
# adapter's mention of who pressed it.
POSTER_OUTCOME: dict[FlagStatus, str] = {
    FlagStatus.REMOVED: "Thanks. Removing the message is the right call.",
    FlagStatus.FALSE_ALARM: "Thanks, I've recorded that as a false alarm.",
}
MODERATOR_OUTCOME: dict[FlagStatus, str] = {
    FlagStatus.CONFIRMED: "{actor} confirmed this flag.",
    FlagStatus.FALSE_ALARM: "{actor} marked this flag a false alarm.",
}


def rate_limited(per_minute: int) -> str:
    """The refusal past the per-person limit."""
    return f"You've asked {per_minute} questions in the last minute, which is my limit. Please try again in a minute."


def category_label(category: Category) -> str:
    return CATEGORY_LABELS.get(category, category.value)


def categories(flag: Flag) -> str:
    """The flag's main category, then the others: "a patient image (also information security)"."""
    others = [category_label(c) for c in flag.categories if c is not flag.category]
    return category_label(flag.category) + (f" (also {', '.join(others)})" if others else "")


def poster_headline(flag: Flag) -> str:
    """The first line of the poster's private notice."""
    return f"Your message may breach professional guidance: {categories(flag)}."


def moderators_headline(flag: Flag) -> str:
    """The first line of the moderators' note (the excerpt and reasons follow)."""
    return f"Possible {categories(flag)}: {MODERATORS_NOTE}"


def answer_notes(answer: Answer) -> list[str]:
    """What is shown above an answer: the standing of the document asked about
    (:mod:`bot.versions`), and the caveats (its question was cut, it is only the closest)."""
    notes = [answer.note] if answer.note else []
    if answer.truncated:
        notes.append(TRUNCATED_NOTE)
    if answer.status is AnswerStatus.LOW_CONFIDENCE:
        notes.append(LOW_CONFIDENCE_NOTE)
    return notes


def outcome_line(status: FlagStatus, actor: str = "", *, moderator: bool = False) -> str:
    """The line a notice gets after its outcome button: the poster's thanks, or who decided."""
    table = MODERATOR_OUTCOME if moderator else POSTER_OUTCOME
    return table.get(status, f"Marked as {status.value}.").format(actor=actor)


# -- saved professions (``how`` is the platform's command, e.g. "/gmc profession") ---------
PROFESSION_EXAMPLES = "midwife, HCA, physio, paramedic, FY1, PA, student nurse, medical student, doctor"
# Said after every reply about a saved profession: what else decides whose guidance leads.
PROFESSION_ORDER = (
    "A profession you name in a question still decides for that question; other regulators' "
    "guidance still shows where it applies."
)


def profession_saved(audience: str, how: str) -> str:
    """The reply once a profession is saved: whose guidance comes first, and how to undo it."""
    return (
        f"Noted: you'll get {REGULATORS[audience]} guidance first ({WHO[audience]}). "
        f"{PROFESSION_ORDER} To change it: `{how} <your profession>`; to forget it: `{how} clear`."
    )


def profession_shown(audience: str | None, how: str) -> str:
    """The reply to ``how`` with nothing after it: the saved profession, or how to save one."""
    if audience is None:
        return (
            "You haven't told me your profession, so I go by your question, the channel and the "
            f"workspace's default. To tell me: `{how} nurse` (or {PROFESSION_EXAMPLES})."
        )
    return (
        f"You get {REGULATORS[audience]} guidance first ({WHO[audience]}). "
        f"To change it: `{how} <your profession>`; to forget it: `{how} clear`."
    )


def profession_cleared(how: str) -> str:
    return (
        "Done: I've forgotten your profession. I'll go by your question, the channel and the "
        f"workspace's default again. To tell me again: `{how} nurse` (or {PROFESSION_EXAMPLES})."
    )


def profession_not_understood(how: str, clearable: bool = True) -> str:
    """The reply when the words name no profession, or more than one. Never repeats them.
    ``clearable``: say how to forget a saved one (not for a one-off, e.g. ``gmcbot ask --as``)."""
    return (
        "I couldn't tell whose guidance fits that. Type one of "
        f"`{how} doctor` (GMC: {WHO['doctors']}), `{how} nurse` (NMC: {WHO['nurses']}) or "
        f"`{how} ahp` (HCPC: {WHO['ahp']})" + (f"; `{how} clear` forgets it." if clearable else ".")
    )
