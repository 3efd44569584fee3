"""Initial schema: flags, feedback, channel settings, processed events.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "flags",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created", STAMP, nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("workspace", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("message_ref", sa.Text(), nullable=False),
        sa.Column("user_hash", sa.String(64), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        sa.Column("citation_ids", sa.JSON(), nullable=False),
        sa.Column("redacted", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reviewer_hash", sa.String(64), nullable=False),
        sa.Column("reviewed", STAMP, nullable=True),
        sa.CheckConstraint("status IN ('open', 'removed', 'false_alarm', 'confirmed')", name="ck_flags_status"),
    )
    op.create_index("ix_flags_created", "flags", ["created"])
    op.create_index("ix_flags_status", "flags", ["status"])
    op.create_index("ix_flags_channel", "flags", ["channel"])

    op.create_table(
        "feedback",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created", STAMP, nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("user_hash", sa.String(64), nullable=False),
        sa.Column("question_redacted", sa.Text(), nullable=False),
        sa.Column("citation_ids", sa.JSON(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_feedback_created", "feedback", ["created"])

    op.create_table(
        "channel_settings",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("workspace", sa.String(), primary_key=True),
        sa.Column("channel", sa.String(), primary_key=True),
        sa.Column("monitored", sa.Boolean(), nullable=False),
        sa.Column("moderators_channel", sa.String(), nullable=False),
        sa.Column("sensitivity", sa.String(16), nullable=False),
        sa.Column("updated", STAMP, nullable=False),
        sa.CheckConstraint("sensitivity IN ('low', 'normal', 'high')", name="ck_channel_settings_sensitivity"),
    )

    op.create_table(
        "processed_events",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("event_id", sa.String(), primary_key=True),
        sa.Column("seen", STAMP, nullable=False),
    )
    op.create_index("ix_processed_events_seen", "processed_events", ["seen"])


def downgrade() -> None:
    op.drop_table("processed_events")
    op.drop_table("channel_settings")
    op.drop_table("feedback")
    op.drop_table("flags")
