"""Reaching the (synchronous) store from trio.

SQLAlchemy's asyncio extension does not run on trio, so every store call runs in a worker thread.
The limiter is sized to the store's connection pool so threads never queue inside the pool.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import TypeVar

import trio

from mmcore.store import Store

T = TypeVar("T")

_limiters: "weakref.WeakKeyDictionary[object, trio.CapacityLimiter]" = weakref.WeakKeyDictionary()


def limiter_for(store: Store) -> trio.CapacityLimiter:
    """The one limiter of ``store`` (created on first use, sized to its pool)."""
    limiter = _limiters.get(store)
    if limiter is None:
        limiter = trio.CapacityLimiter(max(1, store.pool_size))
        _limiters[store] = limiter
    return limiter


async def run_db(store: Store, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T:
    """Run ``fn(*args, **kwargs)`` -- usually a bound store method -- in a worker thread.

    Cancellation waits for the database call to finish (a transaction is never abandoned half
    way); bound long statements with the backend's statement timeout instead.
    """
    return await trio.to_thread.run_sync(
        functools.partial(fn, *args, **kwargs), limiter=limiter_for(store)
    )
