"""AS numbers as BIGINT on PostgreSQL: 32-bit unsigned values (up to 4294967295) do not fit INTEGER.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

``host.asn`` and ``host_peer_asn.asn``.  SQLite's INTEGER already holds 64-bit values, so nothing
changes there.  Downgrading fails if a stored value no longer fits INTEGER.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_COLUMNS = (("host", "asn", True), ("host_peer_asn", "asn", False))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, nullable in _COLUMNS:
        op.alter_column(table, column, type_=sa.BigInteger(), existing_type=sa.Integer(),
                        existing_nullable=nullable)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, nullable in _COLUMNS:
        op.alter_column(table, column, type_=sa.Integer(), existing_type=sa.BigInteger(),
                        existing_nullable=nullable)
