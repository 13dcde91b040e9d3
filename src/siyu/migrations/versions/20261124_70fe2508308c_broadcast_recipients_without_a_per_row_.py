"""broadcast recipients without a per-row tenant key

A broadcast writes millions of recipients in one statement; checking the tenant's key for
each row took much of its time.

Revision ID: 70fe2508308c
Revises: 0555e4c8b90f
Create Date: 2026-11-24 10:27:07.104304
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "70fe2508308c"
down_revision: str | None = "0555e4c8b90f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("broadcast_recipients", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_broadcast_recipients_tenant_id_tenants"), type_="foreignkey"
        )


def downgrade() -> None:
    with op.batch_alter_table("broadcast_recipients", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_broadcast_recipients_tenant_id_tenants"),
            "tenants",
            ["tenant_id"],
            ["id"],
            ondelete="CASCADE",
        )
