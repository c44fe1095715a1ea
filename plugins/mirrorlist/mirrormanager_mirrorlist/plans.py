"""Per (directory, client country) selection plans: everything of an answer that does not depend
on the individual client, computed once and kept with the directory's view.

For a request without ``country=`` and without ``protocol=``, the tiers after the netblock and
ASN ones (GeoIP country, the rest of its continent, the global list when too few hosts were
found) depend only on the directory and the client's country.  A :class:`TierPlan` holds them
already reduced the way the final de-duplication would reduce them -- each tier without the hosts
of the tiers before it and without hosts that have no URL in the directory -- together with the
inverse bandwidths for the weighted shuffle and each host's default ``/mirrorlist`` line.  A
request then costs one random draw per host, a sort and a join.

The reduction does not change the distribution: the weighted shuffle gives every host an
independent key ``u ** (1/w)``, so dropping hosts before the shuffle leaves the relative order
of the others distributed exactly as dropping them afterwards.  :func:`selection.select` (the
general path) reduces its tiers the same way and draws in the same order, so both paths give
identical answers from the same random generator state (``tests/mirrorlist/test_selection_plans.py``
checks it).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import repeat, starmap
from operator import itemgetter

from mirrormanager_mirrorlist.cacheindex import CacheIndex
from mirrormanager_mirrorlist.families import NOTHING_UNREACHABLE, needs_global, split
from mirrormanager_mirrorlist.views import DirectoryView
from mirrormanager_mirrorlist.selection import allowed_only, count_usable


class Tier:
    """One weighted tier, reduced: hosts, ``1/bandwidth`` and default base URLs, index-aligned."""

    __slots__ = ("hosts", "inverse", "bases")

    def __init__(self, hosts: tuple[int, ...], inverse: tuple[float, ...],
                 bases: tuple[str, ...]) -> None:
        self.hosts = hosts
        self.inverse = inverse
        #: the base of the host's default URL (+ ``view.dir_suffix``: the line); "" when none
        self.bases = bases


class TierPlan:
    __slots__ = ("tiers", "split", "header", "found_via", "has_global", "has_lines", "size",
                 "local")

    def __init__(self, tiers: tuple[Tier, ...], header: str, found_via: str,
                 has_global: bool, local: LocalPart | None = None, split: int | None = None,
                 ) -> None:
        self.tiers = tiers
        #: ``tiers[:split]``: hosts the client's family reaches, ``tiers[split:]``: the others
        #: (families.py; without unreachable hosts ``split == len(tiers)``)
        self.split = len(tiers) if split is None else split
        self.header = header
        self.found_via = found_via
        self.has_global = has_global
        #: some host has a default line (else upstream's "untrimmed list" rule applies)
        self.has_lines = any(base for tier in tiers for base in tier.bases)
        #: weight in the view cache (entries of the three tuples)
        self.size = 1 + 3 * sum(len(tier.hosts) for tier in tiers)
        #: with the global list: the plan without it, for clients whose netblock / AS hosts
        #: bring the count up to the minimum (and, with unreachable hosts, one reachable host)
        self.local = local


class LocalPart:
    """The tiers of a plan before the global list (GeoIP country and continent)."""

    __slots__ = ("tiers", "split", "header", "hosts", "reachable", "global_reachable",
                 "has_lines")

    def __init__(self, tiers: tuple[Tier, ...], split: int, header: str,
                 unreachable: frozenset[int], global_reachable: bool) -> None:
        self.tiers = tiers
        self.split = split
        self.header = header
        #: the hosts of these tiers (all with URLs here, each once)
        self.hosts = frozenset(h for tier in tiers for h in tier.hosts)
        #: some host of these tiers is reachable over the client's family
        self.reachable = not self.hosts <= unreachable
        #: some host of the global list is (families.needs_global)
        self.global_reachable = global_reachable
        self.has_lines = any(base for tier in tiers for base in tier.bases)


def reduce_tier(
    tier: Sequence[int], by_host: dict[int, tuple[int, ...]], seen: set[int]
) -> list[int]:
    """The hosts of a tier that the answer can still use: with URLs here, not listed before."""
    return [h for h in tier if h in by_host and h not in seen]


def build_plan(
    index: CacheIndex, view: DirectoryView, client_country: str, minimum: int,
    unreachable: frozenset[int] = NOTHING_UNREACHABLE,
) -> TierPlan | None:
    """The plan for clients of ``client_country`` (steps 5-8 of the selection, no ``country=``,
    no ``protocol=``) whose address family cannot reach ``unreachable``, or ``None`` when this
    directory needs the general path for them (a host listed twice within a tier, or a host
    without bandwidth)."""
    header: list[str] = []
    by_country = view.by_country
    upper = client_country.upper()
    geo: Sequence[int] = ()
    found = by_country.get(upper)
    if found is not None:
        geo = found
        header.append(f"country = {client_country} ")
    continent: list[int] = []
    for other in index.continents.neighbours(upper):
        found = by_country.get(other)
        if found is not None:
            continent.extend(found)
            header.append(f"country = {other} ")
    global_hosts: list[int] = []
    allowed_global = allowed_only(view.global_ids, index.host_allowed, client_country)
    has_global = (count_usable(index, view, [*geo, *continent], None, minimum) < minimum
                  or needs_global([*geo, *continent], view.by_host, unreachable, allowed_global))
    if has_global:
        global_hosts = allowed_global
        header.append("country = global ")
    found_via = (
        "geoip" if geo else "continent" if continent else "global" if global_hosts else "none"
    )
    inverse = index.inverse_bandwidth
    by_host = view.by_host
    seen: set[int] = set()
    reachable: list[Tier] = []
    others: list[Tier] = []
    local: LocalPart | None = None
    for raw in (geo, continent, global_hosts):
        if raw is global_hosts and has_global:
            local = LocalPart((*reachable, *others), len(reachable), "".join(header[:-1]),
                              unreachable, any(h in by_host and h not in unreachable
                                               for h in allowed_global))
        hosts = reduce_tier(raw, by_host, seen)
        if len(set(hosts)) != len(hosts):
            return None  # duplicates double a weight: left to the general path
        if any(h not in inverse for h in hosts):
            return None  # no or zero bandwidth: weighted_shuffle's fallback order
        seen.update(hosts)
        ok, bad = split(hosts, unreachable) if unreachable else (hosts, [])
        for part, into in ((ok, reachable), (bad, others)):
            if part:
                bases = tuple(index.default_base(view, h) for h in part)
                into.append(Tier(tuple(part), tuple(inverse[h] for h in part), bases))
    return TierPlan((*reachable, *others), "".join(header), found_via, has_global, local,
                    len(reachable))


def shuffled(items: Sequence[object], inverse: Sequence[float],
             draw: random.Random) -> Sequence[object]:
    """``items`` in weighted-shuffle order; the same draws and the same order as
    :func:`selection.weighted_shuffle` for positive weights."""
    count = len(items)
    if count < 2:
        return items
    if count == 2:  # common (a tier split by address family): the same draws, compared
        first = draw.random() ** inverse[0]
        if first >= draw.random() ** inverse[1]:  # a stable sort keeps ties in order
            return items
        return items[1], items[0]
    # one uniform draw per host, in host order, without a Python-level loop
    keys = list(map(pow, starmap(draw.random, repeat((), count)), inverse))
    order = sorted(range(count), key=keys.__getitem__, reverse=True)
    return itemgetter(*order)(items)


def plan_for(index: CacheIndex, view: DirectoryView, client_country: str,
             minimum: int, bit: int) -> TierPlan | None:
    """The directory's plan for clients of ``client_country`` and address family ``bit``.

    Clients of both families share one plan when every host here is reachable over theirs:
    it is kept under the family-free key ``(country, minimum, 0)`` and under each such
    family's key too, so that a request finds its plan in one look-up."""
    plans = view.plans
    key = (client_country, minimum, bit)
    try:
        return plans[key]  # type: ignore[return-value]
    except KeyError:
        pass
    unreachable = index.unreachable(view, bit)
    if unreachable:
        plan = plans[key] = build_plan(index, view, client_country, minimum, unreachable)
        index.views.grow(view, plan.size if plan is not None else 1)
        return plan
    shared = (client_country, minimum, 0)
    if shared in plans:
        plan = plans[shared]  # type: ignore[assignment]
        index.views.grow(view, 1)
    else:
        plan = plans[shared] = build_plan(index, view, client_country, minimum, unreachable)
        index.views.grow(view, 1 + (plan.size if plan is not None else 1))
    plans[key] = plan
    return plan
