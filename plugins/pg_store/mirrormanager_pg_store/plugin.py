"""Hook implementations: the storage backend for ``sqlite:`` and ``postgresql`` URLs and the
``db upgrade`` / ``db current`` commands."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mmcore import hookimpl
from mmcore.commands import CliCommand, CommandContext

from .store import SqlStore

if TYPE_CHECKING:
    from mmcore.config import Config

HANDLED_SCHEMES = ("sqlite", "postgresql")


@hookimpl
def mm_open_store(url: str, config: Config) -> SqlStore | None:
    """A :class:`SqlStore` for SQLite and PostgreSQL URLs; other backends get the rest."""
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme not in HANDLED_SCHEMES:
        return None
    return SqlStore(url)


def _db_upgrade(context: CommandContext, _args: argparse.Namespace) -> int:
    store = context.open_store()
    revision = store.upgrade()
    print(f"database {store.display_url} at revision {revision}", file=context.out)
    return 0


def _db_current(context: CommandContext, _args: argparse.Namespace) -> int:
    store = context.open_store()
    revision = store.current_revision()
    if revision is None:
        print(f"database {store.display_url} is empty", file=context.out)
        return 1
    print(revision, file=context.out)
    return 0


@hookimpl
def mm_cli_commands() -> list[CliCommand]:
    return [
        CliCommand(
            path=("db", "upgrade"),
            help="create the database schema or migrate it to the newest revision",
            run=_db_upgrade,
        ),
        CliCommand(
            path=("db", "current"),
            help="print the schema revision of the database (exit 1 when it is empty)",
            run=_db_current,
        ),
    ]
