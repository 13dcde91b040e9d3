"""messages per day of customer groups

Counted from the chat archive as its pages are applied.

Revision ID: 37d2ae4ac6c1
Revises: 70fe2508308c
Create Date: 2026-11-24 11:05:36.978684
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "37d2ae4ac6c1"
down_revision: str | None = "70fe2508308c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "group_message_days",
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("from_customers", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["customer_groups.id"],
            name=op.f("fk_group_message_days_group_id_customer_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_group_message_days_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_message_days")),
        sa.UniqueConstraint("group_id", "day", name=op.f("uq_group_message_days_group_id_day")),
    )
    with op.batch_alter_table("group_message_days", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_message_days_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("group_message_days", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_message_days_tenant_id"))

    op.drop_table("group_message_days")
