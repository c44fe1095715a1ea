"""AS numbers as BIGINT on PostgreSQL: 32-bit unsigned values (up to 4294967295) do not fit INTEGER.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

``host.asn`` and ``host_peer_asn.asn``.  SQLite's INTEGER already holds 64-bit values, so nothing
changes there.  Downgrading fails if a stored value no longer fits INTEGER.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_COLUMNS = (("host", "asn", True), ("host_peer_asn", "asn", False))


def _retype(new: sa.types.TypeEngine, old: sa.types.TypeEngine) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, nullable in _COLUMNS:
        op.alter_column(table, column, type_=new, existing_type=old, existing_nullable=nullable)


def upgrade() -> None:
    _retype(sa.BigInteger(), sa.Integer())


def downgrade() -> None:
    _retype(sa.Integer(), sa.BigInteger())
