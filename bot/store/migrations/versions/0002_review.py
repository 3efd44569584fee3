"""Review of flags: who decided (flags.decided), flag events, declined questions, and the
review console's accounts, sessions and access log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("flags") as batch:
        batch.add_column(sa.Column("decided", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Before this revision anyone could set any status. A change by someone other than the
    # poster counts as a moderator's decision; the poster's own answer does not.
    op.execute("UPDATE flags SET decided = (status <> 'open' AND reviewer_hash <> user_hash)")

    op.create_table(
        "flag_events",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("flag_id", sa.String(32), nullable=False),
        sa.Column("created", STAMP, nullable=False),
        sa.Column("actor_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=False),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("decided", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "to_status IN ('open', 'removed', 'false_alarm', 'confirmed')", name="ck_flag_events_to_status"
        ),
    )
    op.create_index("ix_flag_events_flag_id", "flag_events", ["flag_id"])
    op.create_index("ix_flag_events_created", "flag_events", ["created"])

    op.create_table(
        "declines",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created", STAMP, nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
    )
    op.create_index("ix_declines_created", "declines", ["created"])

    op.create_table(
        "review_users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created", STAMP, nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", STAMP, nullable=True),
        sa.CheckConstraint("role IN ('ig-lead', 'moderator', 'auditor')", name="ck_review_users_role"),
    )

    op.create_table(
        "review_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("reviewer_hash", sa.String(64), nullable=False),
        sa.Column("auth", sa.String(16), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created", STAMP, nullable=False),
        sa.Column("seen", STAMP, nullable=False),
    )
    op.create_index("ix_review_sessions_seen", "review_sessions", ["seen"])

    op.create_table(
        "review_log",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created", STAMP, nullable=False),
        sa.Column("reviewer_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_review_log_created", "review_log", ["created"])


def downgrade() -> None:
    op.drop_table("review_log")
    op.drop_table("review_sessions")
    op.drop_table("review_users")
    op.drop_table("declines")
    op.drop_table("flag_events")
    with op.batch_alter_table("flags") as batch:
        batch.drop_column("decided")
