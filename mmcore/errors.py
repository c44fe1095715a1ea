"""Exception groups, the two ways the project looks into them: the first exception of some kinds
a nursery's group holds (:func:`first_of`), and a group of one read as that one exception
(:func:`single_errors`).  Where a handler reads better as ``except*``, it uses ``except*``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TypeVar

E = TypeVar("E", bound=BaseException)


def first_of(exc: BaseException, kinds: type[E] | tuple[type[E], ...]) -> E | None:
    """``exc`` itself if it is one of ``kinds``, else the first of them inside it when it is an
    exception group (depth first, in the group's order), else ``None``."""
    if isinstance(exc, kinds):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = first_of(inner, kinds)
            if found is not None:
                return found
    return None


@contextlib.contextmanager
def single_errors() -> Iterator[None]:
    """Re-raise a nursery's group of one exception as that exception, so the caller's usual
    handling applies (KeyboardInterrupt: status 130; CommandError, StoreError: status 1)."""
    try:
        yield
    except BaseExceptionGroup as group:
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
