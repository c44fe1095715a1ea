"""Hook implementations: the storage backend for ``sqlite:`` and ``postgresql`` URLs, and
``db adopt`` (taking over a MirrorManager2 database).

Light on purpose: SQLAlchemy is imported only when a store is opened.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mmcore import hookimpl
from mmcore.commands import CliCommand

if TYPE_CHECKING:
    from .store import SqlStore

HANDLED_SCHEMES = ("sqlite", "postgresql")


@hookimpl
def mm_open_store(url: str, create: bool) -> SqlStore | None:
    """A :class:`SqlStore` for SQLite and PostgreSQL URLs; other backends get the rest."""
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme not in HANDLED_SCHEMES:
        return None
    from .store import SqlStore

    return SqlStore(url, create=create)


def _configure_adopt(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", metavar="URL", help="the MirrorManager2 database (PostgreSQL "
                                                   "or SQLite URL), adopted in place")
    parser.add_argument("--dry-run", action="store_true",
                        help="check and convert, report, then roll everything back")
    parser.add_argument("--clear-unreadable", action="store_true",
                        help="clear directory file lists that are not plain data (the next "
                             "`umdl --full` reads them again) instead of refusing")


@hookimpl
def mm_cli_commands() -> list[CliCommand]:
    return [CliCommand(
        ("db", "adopt"),
        "take over a MirrorManager2 database in place: check, convert, stamp our schema",
        "mirrormanager_pg_store.adopt_command:run", _configure_adopt,
    )]
