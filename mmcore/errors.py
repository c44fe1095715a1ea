"""Finding the error that matters inside trio's exception groups: the first of some kinds
(:func:`first_of`), or a group of one read as that one exception (:func:`single_errors`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TypeVar

E = TypeVar("E", bound=BaseException)


def first_of(exc: BaseException, kinds: type[E] | tuple[type[E], ...]) -> E | None:
    """``exc`` itself, or the first exception of one of ``kinds`` nested in its groups
    (depth first, in order), or ``None``."""
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
