"""Alembic, driven from code: no ``alembic.ini`` on disk, the migrations ship inside the package.

Our revisions are recorded in ``mirrormanager_alembic_version`` so that a MirrorManager2
database adopted in place keeps its own ``alembic_version`` table untouched (and MirrorManager2's
tools keep working on it while both coexist).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

VERSION_TABLE = "mirrormanager_alembic_version"
SCRIPT_LOCATION = "mirrormanager_pg_store:migrations"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic configuration for our migrations, bound to ``connection`` when given."""
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations directory has no revision"
    return head


def current_revision(connection: sa.Connection) -> str | None:
    """The revision ``connection``'s database is at; ``None`` when it has none of our tables."""
    ctx = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return ctx.get_current_revision()


def upgrade(connection: sa.Connection) -> None:
    """Migrate to the newest revision inside the caller's transaction."""
    command.upgrade(alembic_config(connection), "head")
