"""Which hosts a client gets, in which order (mirrorlist-server 3.1.0 semantics).

Tiers, concatenated and de-duplicated keeping the first occurrence: every host netblock that
contains the client address (most specific first), the hosts of the client's AS, the requested
countries (``country=``) or else the GeoIP country, the other countries of the continent, and the
global list only while fewer than ``minimum`` usable hosts were found.  Netblock and ASN hits are
shuffled uniformly, every other tier by bandwidth (successive weighted sampling without
replacement).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence

import attrs

from mirrormanager_mirrorlist.cacheindex import CacheIndex
from mirrormanager_mirrorlist.families import NOTHING_UNREACHABLE, needs_global, split
from mirrormanager_mirrorlist.views import DirectoryView
from mirrormanager_mirrorlist.prefixes import AsnTable


@attrs.frozen
class Selection:
    #: host ids in answer order, unique; may include hosts without URLs in this directory
    hosts: list[int]
    #: the header fragments after ``# repo = … `` / ``# path = … ``
    header: str
    #: the tier the first host came from (``netblocks``, ``asn``, ``country``, ...), for logs
    found_via: str


def weighted_shuffle(
    hosts: Sequence[int], bandwidth: Mapping[int, int], rng: random.Random
) -> list[int]:
    """Successive weighted sampling without replacement, weights = bandwidth.

    Implemented with exponential-race keys (``u ** (1/w)``, largest first), which has exactly the
    distribution of drawing one host at a time with probability ``w / Σw`` among the remaining
    ones.  Hosts with weight 0 or no bandwidth entry come after every weighted host, in uniform
    random order (upstream panics once only such hosts remain).
    """
    if len(hosts) < 2:
        return list(hosts)
    draw = rng.random
    get = bandwidth.get
    weights = [get(host, 0) for host in hosts]
    if min(weights) <= 0:
        keyed = [(draw() ** (1.0 / w) if w > 0 else -draw(), h) for w, h in zip(weights, hosts)]
        keyed.sort(reverse=True)
        return [host for _, host in keyed]
    keys = list(map(pow, [draw() for _ in weights], [1.0 / w for w in weights]))
    order = sorted(range(len(keys)), key=keys.__getitem__, reverse=True)
    return [hosts[i] for i in order]


def allowed_only(
    hosts: Iterable[int], allowed: Mapping[int, frozenset[str]], client_country: str
) -> list[int]:
    """Drop hosts whose allowed-country list does not name the client's country."""
    if not allowed:
        return list(hosts)
    kept = []
    for host in hosts:
        countries = allowed.get(host)
        if countries is None or client_country in countries:
            kept.append(host)
    return kept


def protocol_prefixes(protocol_param: str) -> tuple[str, ...]:
    """``protocol=https,http`` -> ``("http:", "https:")`` (sorted, de-duplicated)."""
    return tuple(p + ":" for p in sorted(set(protocol_param.split(","))))


def count_usable(
    index: CacheIndex,
    view: DirectoryView,
    candidates: Iterable[int],
    prefixes: tuple[str, ...] | None,
    enough: int,
) -> int:
    """Distinct candidates with URLs here (after the ``protocol=`` trim), counting stops at
    ``enough``."""
    by_host = view.by_host
    seen: set[int] = set()
    with_urls: list[int] = []
    for host in candidates:
        if host in seen:
            continue
        seen.add(host)
        if host in by_host:
            with_urls.append(host)
            if prefixes is None and len(with_urls) >= enough:
                return len(with_urls)
    if prefixes is None:
        return len(with_urls)
    matching = sum(1 for h in with_urls if index.has_url_with(view, h, prefixes))
    return matching if matching else len(with_urls)


def select(
    index: CacheIndex,
    view: DirectoryView,
    *,
    address: tuple[int, int],
    client_country: str,
    countries: str,
    use_netblocks: bool,
    protocol: str | None,
    minimum: int,
    asn_table: AsnTable | None,
    rng: random.Random,
    unreachable: frozenset[int] = NOTHING_UNREACHABLE,
) -> Selection:
    """The hosts for one client; ``unreachable``: the hosts here the client's address family
    cannot reach (:mod:`.families`), put after the others."""
    header: list[str] = []
    netblock_hits: list[tuple[int, int]] = []
    asn_hosts: list[int] = []
    country_hosts: list[int] = []
    geo_hosts: Sequence[int] = ()
    continent_hosts: list[int] = []
    global_hosts: list[int] = []
    allowed = index.host_allowed
    by_country = view.by_country

    # step 1: host netblocks, then the client's AS (only without country=)
    if not countries and use_netblocks:
        netblock_hits, asn_hosts = network_tiers(index, view, address, asn_table, header)

    # step 4: requested countries
    only_country = False
    if countries:
        requested = sorted(set(countries.split(",")))
        for country in requested:
            upper = country.upper()
            if upper == "GLOBAL":
                country_hosts.extend(view.global_ids)
                country_hosts = allowed_only(country_hosts, allowed, client_country)
                header.append("country = global ")
                continue
            found = by_country.get(upper)
            if found is not None:
                country_hosts.extend(found)
                header.append(f"country = {country} ")
        if not country_hosts:
            for country in requested:
                for other in index.continents.neighbours(country.upper()):
                    found = by_country.get(other)
                    if found is not None:
                        continent_hosts.extend(found)
                        header.append(f"country = {other} ")
        if country_hosts or continent_hosts:
            country_hosts = allowed_only(country_hosts, allowed, client_country)
            continent_hosts = allowed_only(continent_hosts, allowed, client_country)
            only_country = True

    if not only_country:
        # step 5: the client's own country
        upper = client_country.upper()
        found = by_country.get(upper)
        if found is not None:
            geo_hosts = found
            header.append(f"country = {client_country} ")
        # step 6: the rest of its continent, always
        for other in index.continents.neighbours(upper):
            found = by_country.get(other)
            if found is not None:
                continent_hosts.extend(found)
                header.append(f"country = {other} ")
        # steps 7-8: the global list only when too few usable hosts were found
        prefixes = protocol_prefixes(protocol) if protocol is not None else None
        candidates = (
            [h for _, h in netblock_hits] + asn_hosts + country_hosts + list(geo_hosts)
            + continent_hosts
        )
        if (count_usable(index, view, candidates, prefixes, minimum) < minimum
                or unreachable and needs_global(
                    candidates, view.by_host, unreachable,
                    allowed_only(view.global_ids, allowed, client_country))):
            global_hosts = allowed_only(view.global_ids, allowed, client_country)
            header.append("country = global ")

    # step 9: order
    ordered = network_order(netblock_hits, asn_hosts, rng)
    # each weighted tier without the hosts the final de-duplication would drop anyway (listed
    # in an earlier tier) and those without URLs here: the same distribution, fewer draws,
    # and the reduction plans.py precomputes, so both paths draw identically
    bandwidth = index.host_bandwidth
    by_host = view.by_host
    seen = set(ordered)
    reduced_tiers = []
    for tier in (country_hosts, geo_hosts, continent_hosts, global_hosts):
        reduced = [h for h in tier if h in by_host and h not in seen]
        seen.update(reduced)
        reduced_tiers.append(reduced)
    if unreachable:
        network_ok, network_bad = split(list(dict.fromkeys(ordered)), unreachable)
        parts = [split(reduced, unreachable) for reduced in reduced_tiers]
        ordered = network_ok
        for ok, _ in parts:
            ordered += weighted_shuffle(ok, bandwidth, rng)
        ordered += network_bad
        for _, bad in parts:
            ordered += weighted_shuffle(bad, bandwidth, rng)
    else:
        for reduced in reduced_tiers:
            ordered += weighted_shuffle(reduced, bandwidth, rng)
    found_via = (
        "netblocks" if netblock_hits else "asn" if asn_hosts else "country" if country_hosts
        else "geoip" if geo_hosts else "continent" if continent_hosts
        else "global" if global_hosts else "none"
    )
    return Selection(list(dict.fromkeys(ordered)), "".join(header), found_via)


def network_tiers(
    index: CacheIndex,
    view: DirectoryView,
    address: tuple[int, int],
    asn_table: AsnTable | None,
    header: list[str],
) -> tuple[list[tuple[int, int]], list[int]]:
    """Step 1: (prefix length, host) of every host netblock containing the client with URLs
    here, and the hosts of the client's AS; appends their header fragments."""
    netblock_hits: list[tuple[int, int]] = []
    asn_hosts: list[int] = []
    by_host = view.by_host
    for hit in index.host_netblocks.containing(*address):
        for host in hit.value:
            if host in by_host:
                netblock_hits.append((hit.prefix_length, host))
    if netblock_hits:
        header.append("Using preferred netblock ")
    if asn_table is not None:
        asn = asn_table.lookup(*address)
        if asn is not None:
            found = index.host_asn.get(asn)
            if found:
                asn_hosts = list(found)
                header.append(f"Using ASN {asn} ")
    return netblock_hits, asn_hosts


def network_order(
    netblock_hits: list[tuple[int, int]], asn_hosts: list[int], rng: random.Random
) -> list[int]:
    """Step 9 for the first two tiers: netblock hits shuffled, then most specific first; the
    AS's hosts shuffled (both lists are reordered in place)."""
    if len(netblock_hits) > 1:
        rng.shuffle(netblock_hits)
        netblock_hits.sort(key=lambda hit: -hit[0])
    if len(asn_hosts) > 1:
        rng.shuffle(asn_hosts)
    ordered = [h for _, h in netblock_hits]
    ordered += asn_hosts
    return ordered
