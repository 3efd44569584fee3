"""Durable jobs: events accepted (acknowledged) whose work is not finished, with an
encrypted payload, a lease and the effects already done.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_jobs",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("event_key", sa.String(160), nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=False),
        sa.Column("lease_until", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("steps", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_event_jobs_lease_until", "event_jobs", ["lease_until"])
    op.create_index("ix_event_jobs_created", "event_jobs", ["created"])


def downgrade() -> None:
    op.drop_table("event_jobs")
