"""Hook implementation: the storage backend for ``sqlite:`` and ``postgresql`` URLs.

Light on purpose: SQLAlchemy is imported only when a store is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmcore import hookimpl

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
