"""The table of durable jobs (migration 0003): events accepted and not yet worked.

``payload`` is the platform's body encrypted with Fernet under a key kept apart from the
database (:mod:`bot.store.jobs_key`); nothing else here holds message text. A row lives
from the acknowledgement until its work ends, and never longer than the age limit
(:data:`bot.jobs.MAX_AGE_SECONDS`). Times are seconds since the epoch (UTC), so leases
compare the same way on SQLite and PostgreSQL. Imported by :mod:`bot.store.models`.
"""

from __future__ import annotations

from sqlalchemy import Float, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base


class EventJobRow(Base):
    """One accepted event whose work is not finished."""

    __tablename__ = "event_jobs"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # platform:event id
    platform: Mapped[str] = mapped_column(String(32))
    event_key: Mapped[str] = mapped_column(String(160))
    created: Mapped[float] = mapped_column(Float)
    lease_owner: Mapped[str] = mapped_column(String(64))
    lease_until: Mapped[float] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    steps: Mapped[str] = mapped_column(Text, default="{}")  # effects done: names only, no text
    payload: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (
        Index("ix_event_jobs_lease_until", "lease_until"),
        Index("ix_event_jobs_created", "created"),
    )
