"""Keeping a worker's long-lived objects out of the cyclic garbage collector's full passes.

A worker holds what it loaded (the cache index, the netblock and GeoIP tables) and what it
built while answering (directory views, tier plans, templates: the view cache).  CPython's
collector walks all of that on every full (generation 2) collection, and the answer path's
allocations trigger one every few seconds under load: at Fedora scale each took 50-90 ms with
the worker's loop stopped, which is what wrk's p99 showed (25-36 ms against 8-10 ms with the
collector off; ``docs/benchmarks/mirrorlist.md``).

So the objects that survive are *frozen* (``gc.freeze``: moved where collections do not look)
every ``gc_freeze_interval`` seconds, after a collection of the ones made since the last
freeze -- a pass over a second's survivors, not over the whole heap.  Frozen objects are still
freed by reference counting, which is how the view cache's evictions and a replaced cache
generation go; only a reference cycle that becomes garbage after it was frozen would stay, and
the answer path makes none (a test counts them).  Against such leftovers, and to let a swapped
generation's objects go through the collector once, everything is unfrozen and collected in
one full pass after each cache swap and every :data:`FULL_PASS_SECONDS`.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable

import trio

log = logging.getLogger(__name__)

#: seconds between two full passes over everything (unfreeze, collect, freeze)
FULL_PASS_SECONDS = 600.0


class FrozenHeap:
    """The freezing policy of one worker process (see the module docstring).

    :param interval: seconds between two freezes; ``0`` leaves the collector as Python has it.
    :param generation: returns a number that changes when the worker swapped its cache
        generation (``Inputs.reloads``): the next turn is then a full pass.
    """

    def __init__(self, interval: float, generation: Callable[[], int]) -> None:
        self.interval = interval
        self._generation = generation
        self._seen = generation()
        self._last_full = time.monotonic()
        #: unreachable objects the collections found (a growing count means cycles are made)
        self.collected = 0
        self.full_passes = 0

    @property
    def enabled(self) -> bool:
        return self.interval > 0

    def full_pass(self) -> None:
        """Unfreeze everything, collect it all, freeze the survivors (one long pause)."""
        started = time.perf_counter()
        gc.unfreeze()
        found = self.freeze_survivors()
        self.full_passes += 1
        self._last_full = time.monotonic()
        self._seen = self._generation()
        log.info("event=gc_full_pass unreachable=%d frozen=%d seconds=%.3f", found,
                 gc.get_freeze_count(), time.perf_counter() - started)

    def freeze_survivors(self) -> int:
        """Collect the objects made since the last freeze, freeze the rest; returns how many
        unreachable objects the collection found."""
        found = gc.collect()
        gc.freeze()
        self.collected += found
        return found

    def turn(self) -> None:
        """One turn of the policy: a full pass when the inputs were swapped or the last one is
        :data:`FULL_PASS_SECONDS` old, else a freeze of the survivors."""
        if (self._generation() != self._seen
                or time.monotonic() - self._last_full >= FULL_PASS_SECONDS):
            self.full_pass()
        else:
            self.freeze_survivors()

    async def run(self) -> None:
        """Take a turn every ``interval`` seconds until cancelled (the first turn, at once, is
        a full pass); everything is unfrozen when it ends."""
        if not self.enabled:
            return
        try:
            self.full_pass()
            while True:
                await trio.sleep(self.interval)
                self.turn()
        finally:
            gc.unfreeze()  # the worker stops: its process (a test's, say) gets the usual collector
