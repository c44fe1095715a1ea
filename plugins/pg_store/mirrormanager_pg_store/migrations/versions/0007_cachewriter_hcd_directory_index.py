"""``host_category_dir``: an index covering the cache writer's aggregate per directory.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

``ix_host_category_dir_directory_up2date_hc (directory_id, up2date, host_category_id)``: the
cache writer's aggregate of the up-to-date host categories per directory reads it alone, in
directory order, instead of sorting the whole table (on SQLite, at Fedora scale, about 1 s of
CPU instead of 3.9 s).  MirrorManager2's ``ix_host_category_dir_directory_id`` stays as it is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NAME = "ix_host_category_dir_directory_up2date_hc"


def upgrade() -> None:
    present = {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("host_category_dir")}
    if NAME not in present:
        op.create_index(NAME, "host_category_dir", ["directory_id", "up2date", "host_category_id"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="host_category_dir")
