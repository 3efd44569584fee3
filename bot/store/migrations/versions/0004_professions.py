"""Saved professions (user_professions) and a per-channel audience
(channel_settings.audience): whose guidance an answer puts first.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channel_settings") as batch:
        batch.add_column(sa.Column("audience", sa.String(16), nullable=False, server_default=""))
    op.create_table(
        "user_professions",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("workspace", sa.String(), primary_key=True),
        sa.Column("user_hash", sa.String(64), primary_key=True),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("audience IN ('doctors', 'nurses', 'ahp')", name="ck_user_professions_audience"),
    )


def downgrade() -> None:
    op.drop_table("user_professions")
    with op.batch_alter_table("channel_settings") as batch:
        batch.drop_column("audience")
