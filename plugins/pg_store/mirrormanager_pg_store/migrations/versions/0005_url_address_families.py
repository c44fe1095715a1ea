"""The address families a mirror URL answered on: ``host_category_url.ipv4`` and ``ipv6``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

Recorded by the crawler (one TCP connection per family and host name); ``NULL`` until a crawl
checks the URL, or when its name has no address of that family.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("host_category_url") as table:
        table.add_column(sa.Column("ipv4", sa.Boolean, nullable=True))
        table.add_column(sa.Column("ipv6", sa.Boolean, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("host_category_url") as table:
        table.drop_column("ipv6")
        table.drop_column("ipv4")
