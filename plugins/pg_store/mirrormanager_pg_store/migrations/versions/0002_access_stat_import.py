"""The ``stats import`` ledger: ``access_stat_import`` and ``access_stat_import_count``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_stat_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), server_default=sa.func.current_timestamp(),
                  nullable=False),
        sa.Column("lines", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("garbage", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_stat_import"),
        sa.UniqueConstraint("digest", name="uq_access_stat_import_digest"),
    )
    op.create_table(
        "access_stat_import_count",
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["access_stat_import.id"], ondelete="CASCADE",
                                name="fk_access_stat_import_count_import_id_access_stat_import"),
        sa.ForeignKeyConstraint(["category_id"], ["access_stat_category.id"],
                                name="fk_access_stat_import_count_category_id_access_stat_category"),
        sa.PrimaryKeyConstraint("import_id", "category_id", "date", "name",
                                name="pk_access_stat_import_count"),
    )
    op.create_index("ix_access_stat_import_count_date", "access_stat_import_count", ["date"])


def downgrade() -> None:
    op.drop_index("ix_access_stat_import_count_date", "access_stat_import_count")
    op.drop_table("access_stat_import_count")
    op.drop_table("access_stat_import")
