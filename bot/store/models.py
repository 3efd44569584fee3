"""Tables of the audit store (SQLAlchemy 2 declarative models).

Nothing here holds raw message text or a raw platform user id: ``redacted`` and
``question_redacted`` come from screening's redaction, ``*_hash`` columns are keyed
hashes (see :mod:`bot.store.keys`). Every row has a client-made id so a write replayed
after an outage is recognised as already done.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.audience import AUDIENCES
from bot.types import FlagStatus

FLAG_STATUSES = tuple(s.value for s in FlagStatus)
SENSITIVITIES = ("low", "normal", "high")


def one_of(column: str, values: tuple[str, ...]) -> str:
    """SQL for a check constraint: ``column`` holds one of ``values``."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    pass


class FlagRow(Base):
    """One flagged message and its outcome."""

    __tablename__ = "flags"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    platform: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String, default="")
    channel: Mapped[str] = mapped_column(String, default="")
    message_ref: Mapped[str] = mapped_column(Text, default="")
    user_hash: Mapped[str] = mapped_column(String(64), default="")
    category: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    rule_ids: Mapped[list[str]] = mapped_column(JSON)
    citation_ids: Mapped[list[str]] = mapped_column(JSON)
    redacted: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    reviewer_hash: Mapped[str] = mapped_column(String(64), default="")
    reviewed: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided: Mapped[bool] = mapped_column(Boolean, default=False)  # by a moderator (bot.review)

    __table_args__ = (
        CheckConstraint(one_of("status", FLAG_STATUSES), name="ck_flags_status"),
        Index("ix_flags_created", "created"),
        Index("ix_flags_status", "status"),
        Index("ix_flags_channel", "channel"),
    )


class FeedbackRow(Base):
    """Whether an answer helped: the redacted question and the paragraphs cited."""

    __tablename__ = "feedback"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    platform: Mapped[str] = mapped_column(String(32))
    user_hash: Mapped[str] = mapped_column(String(64), default="")
    question_redacted: Mapped[str] = mapped_column(Text, default="")
    citation_ids: Mapped[list[str]] = mapped_column(JSON)
    helpful: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (Index("ix_feedback_created", "created"),)


class ChannelSettingsRow(Base):
    """Per-channel settings; a channel with no row has the defaults (not monitored)."""

    __tablename__ = "channel_settings"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    workspace: Mapped[str] = mapped_column(String, primary_key=True)
    channel: Mapped[str] = mapped_column(String, primary_key=True)
    monitored: Mapped[bool] = mapped_column(Boolean, default=False)
    moderators_channel: Mapped[str] = mapped_column(String, default="")
    sensitivity: Mapped[str] = mapped_column(String(16), default="normal")
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    audience: Mapped[str] = mapped_column(String(16), default="", server_default="")  # migration 0004

    __table_args__ = (CheckConstraint(one_of("sensitivity", SENSITIVITIES), name="ck_channel_settings_sensitivity"),)


class ProfessionRow(Base):
    """A person's saved profession (the audience whose guidance they get first), keyed by
    platform, workspace and the pseudonym of their user id. Nothing else of the person,
    and nothing of what they asked, is kept; clearing it deletes the row."""

    __tablename__ = "user_professions"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    workspace: Mapped[str] = mapped_column(String, primary_key=True)
    user_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    audience: Mapped[str] = mapped_column(String(16))
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint(one_of("audience", AUDIENCES), name="ck_user_professions_audience"),)


class ProcessedEvent(Base):
    """A platform event id already handled; the primary key makes a claim unique
    across every process sharing the database."""

    __tablename__ = "processed_events"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String, primary_key=True)
    seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_processed_events_seen", "seen"),)


# The review tables (migration 0002) and the job table (0003) share this metadata.
from bot.store import jobs_models as _jobs_models  # noqa: E402,F401
from bot.store import review_models as _review_models  # noqa: E402,F401
