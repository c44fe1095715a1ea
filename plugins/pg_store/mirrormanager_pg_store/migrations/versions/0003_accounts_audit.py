"""The web UI's tables: server-side sessions, one-time tokens, the log-in throttle, the audit
log, and the crawl history shown on host pages.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("mm_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_name", sa.Text(), nullable=False),
        sa.Column("groups", sa.Text(), server_default="[]", nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_ip", sa.String(length=50), server_default="", nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("expiry", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["mm_user.id"], ondelete="CASCADE",
                                name="fk_mm_session_user_id_mm_user"),
        sa.PrimaryKeyConstraint("id", name="pk_mm_session"),
        sa.UniqueConstraint("key_hash", name="uq_mm_session_key_hash"),
    )
    op.create_index("ix_mm_session_user_id", "mm_session", ["user_id"])
    op.create_index("ix_mm_session_expiry", "mm_session", ["expiry"])
    op.create_table("mm_user_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(), server_default=sa.func.current_timestamp(),
                  nullable=False),
        sa.Column("expiry", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["mm_user.id"], ondelete="CASCADE",
                                name="fk_mm_user_token_user_id_mm_user"),
        sa.PrimaryKeyConstraint("id", name="pk_mm_user_token"),
        sa.UniqueConstraint("token_hash", name="uq_mm_user_token_token_hash"),
    )
    op.create_index("ix_mm_user_token_user_id", "mm_user_token", ["user_id"])
    op.create_table("mm_login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mm_login_failure"),
    )
    op.create_index("ix_mm_login_failure_key_at", "mm_login_failure", ["key", "at"])
    op.create_table("mm_audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), server_default=sa.func.current_timestamp(),
                  nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("object_type", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("host_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mm_audit_log"),
    )
    op.create_index("ix_mm_audit_log_at", "mm_audit_log", ["at"])
    op.create_index("ix_mm_audit_log_site_id", "mm_audit_log", ["site_id"])
    op.create_index("ix_mm_audit_log_host_id", "mm_audit_log", ["host_id"])
    op.create_table("host_crawl",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
        sa.Column("duration", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("crawl_failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("protocols", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["host_id"], ["host.id"], ondelete="CASCADE",
                                name="fk_host_crawl_host_id_host"),
        sa.PrimaryKeyConstraint("id", name="pk_host_crawl"),
    )
    op.create_index("ix_host_crawl_host_id_finished_at", "host_crawl", ["host_id", "finished_at"])


def downgrade() -> None:
    for table in ("host_crawl", "mm_audit_log", "mm_login_failure", "mm_user_token",
                  "mm_session"):
        op.drop_table(table)
