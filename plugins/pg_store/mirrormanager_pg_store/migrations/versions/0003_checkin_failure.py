"""checkin_failure: failed report_mirror check-ins per site, for rate limiting.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

A table of our own (MirrorManager2 has no such limit): one row per site with failed check-ins
in the current window, shared by every server process.  Deleting a site deletes its row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkin_failure",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], ondelete="CASCADE",
                                name="fk_checkin_failure_site_id_site"),
        sa.PrimaryKeyConstraint("site_id", name="pk_checkin_failure"),
    )


def downgrade() -> None:
    op.drop_table("checkin_failure")
