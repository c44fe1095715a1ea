"""Finding the error that matters inside trio's exception groups."""

from __future__ import annotations

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
