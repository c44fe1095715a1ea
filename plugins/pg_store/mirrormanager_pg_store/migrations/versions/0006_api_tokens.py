"""API tokens of the JSON API: ``mm_api_token`` (hashed, scoped, expiring, revocable).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("mm_api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.Text(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("groups", sa.Text(), server_default="[]", nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("expiry", sa.DateTime(), nullable=False),
        sa.Column("last_used", sa.DateTime(), nullable=True),
        sa.Column("revoked", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_mm_api_token"),
        sa.UniqueConstraint("token_hash", name="uq_mm_api_token_token_hash"),
    )
    op.create_index("ix_mm_api_token_user_name", "mm_api_token", ["user_name"])


def downgrade() -> None:
    op.drop_index("ix_mm_api_token_user_name", table_name="mm_api_token")
    op.drop_table("mm_api_token")
