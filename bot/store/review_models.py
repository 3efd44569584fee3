"""Tables added for the review of flags (migration 0002): flag events (who changed a
flag, in which role, from what to what, when), declined questions (topic labels only),
and the review console's accounts, sessions and access log. Imported by
:mod:`bot.store.models` so that every table shares one metadata.

Nothing here holds message text, patient data or a raw platform user id: actors are
pseudonyms; console accounts hold a name, a role and an argon2 hash of the password.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import FLAG_STATUSES, Base, one_of

CONSOLE_ROLES = ("ig-lead", "moderator", "auditor")


class FlagEventRow(Base):
    """One change of a flag's status or decision."""

    __tablename__ = "flag_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    flag_id: Mapped[str] = mapped_column(String(32))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    decided: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        CheckConstraint(one_of("to_status", FLAG_STATUSES), name="ck_flag_events_to_status"),
        Index("ix_flag_events_flag_id", "flag_id"),
        Index("ix_flag_events_created", "created"),
    )


class DeclineRow(Base):
    """A question answered with no match or low confidence: topic labels only."""

    __tablename__ = "declines"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    platform: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    topics: Mapped[list[str]] = mapped_column(JSON)

    __table_args__ = (Index("ix_declines_created", "created"),)


class ReviewUserRow(Base):
    """A local account of the review console."""

    __tablename__ = "review_users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    failed_logins: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (CheckConstraint(one_of("role", CONSOLE_ROLES), name="ck_review_users_role"),)


class ReviewSessionRow(Base):
    """A signed-in browser: the SHA-256 of its cookie's token, never the token."""

    __tablename__ = "review_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    reviewer_hash: Mapped[str] = mapped_column(String(64))
    auth: Mapped[str] = mapped_column(String(16))  # local or oidc
    csrf: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_review_sessions_seen", "seen"),)


class ReviewLogRow(Base):
    """One view or action in the console, by the reviewer's pseudonym."""

    __tablename__ = "review_log"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewer_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_review_log_created", "created"),)
