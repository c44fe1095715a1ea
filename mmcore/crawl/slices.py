"""Which part of the selected hosts one crawl takes: MirrorManager2's ``--startid/--stopid``
and ``-f/--fraction A:B``.

MirrorManager2 sorts the ids of the hosts its filters selected, cuts the list into B contiguous
slices of ``len // B`` ids each, the last slice taking the remainder, and crawls the A-th
(1-based) -- so operators can split a crawl over B processes or machines that each run
``--fraction A:B``.  ``--startid``/``--stopid`` keep the hosts whose id is in ``[start, stop)``.
The two are exclusive on the command line; ``--processes`` hands each child a fraction of the
range the user gave, so :class:`HostRange` applies the id range first, then the fraction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import attrs

from mmcore.crawl.store import HostTarget

H = TypeVar("H", bound=HostTarget)


@attrs.frozen
class Fraction:
    """The ``part``-th (1-based) of ``slices`` contiguous slices of the sorted host ids."""

    part: int
    slices: int

    def __attrs_post_init__(self) -> None:
        if self.slices < 1 or not 1 <= self.part <= self.slices:
            raise ValueError(f"fraction {self.part}:{self.slices}: need 1 <= A <= B")

    @classmethod
    def parse(cls, text: str) -> Fraction:
        """``"A:B"`` -> :class:`Fraction`; ``ValueError`` with a message a user can act on."""
        head, sep, tail = text.partition(":")
        try:
            if not sep:
                raise ValueError
            part, slices = int(head), int(tail)
        except ValueError:
            raise ValueError(f"--fraction {text!r}: expected A:B, e.g. 1:2 (the first half)")\
                from None
        return cls(part, slices)

    @property
    def whole(self) -> bool:
        return self.slices == 1

    def bounds(self, count: int) -> tuple[int, int]:
        """``[start, stop)`` indexes into a sorted list of ``count`` ids.

        MirrorManager2's arithmetic: slices of ``count // slices`` ids, the last one runs to the
        end (so with fewer hosts than slices every host lands in the last slice)."""
        size = count // self.slices
        start = (self.part - 1) * size
        stop = count if self.part == self.slices else self.part * size
        return start, stop

    def __str__(self) -> str:
        return f"{self.part}:{self.slices}"


@attrs.frozen
class HostRange:
    """The id range and fraction of one crawl; the default takes every host."""

    #: first host id crawled (0: from the lowest)
    start_id: int = 0
    #: first host id no longer crawled (0: no limit), as MirrorManager2's ``--stopid``
    stop_id: int = 0
    fraction: Fraction = Fraction(1, 1)

    @property
    def everything(self) -> bool:
        return not self.start_id and not self.stop_id and self.fraction.whole

    def select(self, hosts: Sequence[H]) -> list[H]:
        """The hosts of ``hosts`` in this range, in their given order (the engine's slowest
        first); the fraction is taken of the sorted ids left after the id range."""
        kept = [
            h for h in hosts
            if h.id >= self.start_id and (not self.stop_id or h.id < self.stop_id)
        ]
        if self.fraction.whole:
            return kept
        ids = sorted(h.id for h in kept)
        start, stop = self.fraction.bounds(len(ids))
        wanted = set(ids[start:stop])
        return [h for h in kept if h.id in wanted]
