"""Core value types shared by the corpus, retrieval, screening and adapters.

Frozen stdlib dataclasses with no third-party imports, so every layer (and every
adapter) can depend on them without pulling in models or platform SDKs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Platform(enum.StrEnum):
    """Where a message or question came from."""

    CONSOLE = "console"
    SLACK = "slack"
    DISCORD = "discord"
    TEAMS = "teams"


class DocStatus(enum.StrEnum):
    """Whether a document is in force."""

    CURRENT = "current"
    SUPERSEDED = "superseded"
    ADVISORY = "advisory"

    @property
    def in_force(self) -> bool:
        return self is not DocStatus.SUPERSEDED


class Numbering(enum.StrEnum):
    """How sure the corpus is of a paragraph's number."""

    CONFIRMED = "confirmed"
    RECONSTRUCTED = "reconstructed"


class AnswerStatus(enum.StrEnum):
    ANSWERED = "answered"
    LOW_CONFIDENCE = "low_confidence"
    NO_MATCH = "no_match"


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Category(enum.StrEnum):
    """Risk categories a flag can name (corpus-spec.md)."""

    PATIENT_IDENTIFIABLE = "patient-identifiable"
    PATIENT_IMAGE = "patient-image"
    DISRESPECT = "disrespect"
    BOUNDARIES = "boundaries"
    CONFLICT_OF_INTEREST = "conflict-of-interest"
    HONESTY = "honesty"
    INFORMATION_SECURITY = "information-security"


@dataclass(frozen=True)
class Document:
    """A guidance document's metadata."""

    doc_id: str
    title: str
    publisher: str
    status: DocStatus
    in_effect: str
    url: str
    superseded_by: str | None = None
    superseded_on: str | None = None
    source: str = "digest"
    note: str = ""
    path: str = ""
    audience: tuple[str, ...] = ("all",)

    def applies_to(self, audience: str) -> bool:
        """True when the document is written for ``audience`` (or for everyone)."""
        return "all" in self.audience or audience in self.audience


@dataclass(frozen=True)
class Paragraph:
    """One citable paragraph. ``id`` is ``DOC:NUMBER`` and never changes."""

    doc_id: str
    number: str
    heading: str
    text: str
    numbering: Numbering
    terms: tuple[str, ...] = ()
    line: int = 0
    asks: tuple[str, ...] = ()  # questions this paragraph answers, in askers' words (search only)
    more_asks: tuple[str, ...] = ()  # more of them, from guidance_corpus/questions/asks.jsonl (search only)

    @property
    def all_asks(self) -> tuple[str, ...]:
        """``asks`` then ``more_asks``: every question retrieval indexes for the paragraph."""
        return self.asks + self.more_asks

    @property
    def id(self) -> str:
        return f"{self.doc_id}:{self.number}"


@dataclass(frozen=True)
class Citation:
    """A paragraph cited in an answer or flag, with its document and score."""

    paragraph: Paragraph
    document: Document
    score: float = 0.0

    @property
    def id(self) -> str:
        return self.paragraph.id

    @property
    def reconstructed(self) -> bool:
        return self.paragraph.numbering is Numbering.RECONSTRUCTED

    @property
    def superseded(self) -> bool:
        return self.document.status is DocStatus.SUPERSEDED

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "doc_id": self.paragraph.doc_id,
            "number": self.paragraph.number,
            "heading": self.paragraph.heading,
            "text": self.paragraph.text,
            "url": self.document.url,
            "score": round(float(self.score), 4),
            "numbering": self.paragraph.numbering.value,
            "doc_status": self.document.status.value,
            "doc_title": self.document.title,
            "source": self.document.source,
            "superseded_by": self.document.superseded_by,
        }


@dataclass(frozen=True)
class Answer:
    """The core's reply to a question: citations best first."""

    question: str
    status: AnswerStatus
    citations: tuple[Citation, ...] = ()
    truncated: bool = False
    route: str = ""  # for a decline: whom to ask instead (empty: the configured default)
    note: str = ""  # a sentence shown before the citations (a document's standing, bot.versions)

    @property
    def best(self) -> Citation | None:
        return self.citations[0] if self.citations else None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "status": self.status.value,
            "citations": [c.to_json() for c in self.citations],
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Actor:
    """Who posted or asked. ``user_id`` is the platform's raw id; the store hashes it."""

    user_id: str
    is_bot: bool = False
    display_name: str = ""


@dataclass(frozen=True)
class Conversation:
    """Where a message lives on its platform."""

    platform: Platform
    workspace: str = ""
    channel: str = ""
    thread: str = ""
    is_direct: bool = False


@dataclass(frozen=True)
class Message:
    """A staff message to screen. ``ref`` is the platform's message id or permalink."""

    text: str
    actor: Actor = field(default_factory=lambda: Actor(user_id=""))
    conversation: Conversation = field(default_factory=lambda: Conversation(platform=Platform.CONSOLE))
    ref: str = ""
    has_image: bool = False


@dataclass(frozen=True)
class Finding:
    """A detected identifier or risk cue: a span of the screened text (never its content)."""

    kind: str
    start: int
    end: int
    score: float = 1.0

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Flag:
    """A screened message judged risky. Holds only redacted text, never identifiers."""

    category: Category
    severity: Severity
    reasons: tuple[str, ...]
    citations: tuple[Citation, ...]
    redacted: str
    categories: tuple[Category, ...] = ()
    findings: tuple[Finding, ...] = ()
    rule_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Screening:
    """The verdict on one message: ``flag`` is None when nothing risky was found."""

    redacted: str
    findings: tuple[Finding, ...] = ()
    flag: Flag | None = None

    @property
    def flagged(self) -> bool:
        return self.flag is not None

    def to_json(self) -> dict[str, object]:
        flag = self.flag
        return {
            "flagged": flag is not None,
            "category": flag.category.value if flag else None,
            "categories": [c.value for c in flag.categories] if flag else [],
            "severity": flag.severity.value if flag else None,
            "reasons": list(flag.reasons) if flag else [],
            "citations": [c.to_json() for c in flag.citations] if flag else [],
            "redacted": self.redacted,
            "findings": [f.to_json() for f in self.findings],
        }


class FlagStatus(enum.StrEnum):
    """A flag's outcome in the audit trail."""

    OPEN = "open"
    REMOVED = "removed"  # the poster said they would remove it
    FALSE_ALARM = "false_alarm"
    CONFIRMED = "confirmed"


@dataclass(frozen=True)
class ChannelSettings:
    """Per-channel settings. Screening is off until an admin turns a channel on."""

    platform: Platform
    workspace: str
    channel: str
    monitored: bool = False
    moderators_channel: str = ""
    sensitivity: str = "normal"  # "low", "normal" or "high"
    # Whose guidance comes first for questions asked here ("doctors", "nurses", "ahp"),
    # after a profession the question names and the asker's saved one; "" for none.
    audience: str = ""
