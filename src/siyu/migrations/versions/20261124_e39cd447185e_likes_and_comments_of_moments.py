"""likes and comments of moments

Each account's copy of a post keeps the likes and comments WeCom reports; rows that exist
start at 0 (the server default) until the next sync reads them.

Revision ID: e39cd447185e
Revises: 37d2ae4ac6c1
Create Date: 2026-11-24 11:34:11.570871
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import siyu.db

revision: str = "e39cd447185e"
down_revision: str | None = "37d2ae4ac6c1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("moment_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("likes", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("comments", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("reactions_read_at", siyu.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("moment_results", schema=None) as batch_op:
        batch_op.drop_column("reactions_read_at")
        batch_op.drop_column("comments")
        batch_op.drop_column("likes")
