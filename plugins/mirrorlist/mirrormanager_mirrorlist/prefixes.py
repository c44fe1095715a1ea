"""IP addresses and prefix tables for the list server.

Addresses are handled as ``(version, integer)`` pairs: parsing with :func:`socket.inet_pton` is
several times faster than :mod:`ipaddress`, and a network is just a prefix value per prefix length.

* :class:`NetblockTable` answers "every network containing this address" (host netblocks) and
  "the first network in file order containing it" (netblock-country overrides) with one dict
  lookup per prefix length present in the table.
* :class:`AsnTable` answers "the longest prefix containing this address" for the global
  netblocks file (about a million routes), stored as sorted arrays per prefix length so that it
  costs a few MB instead of a dict of Python ints.
"""

from __future__ import annotations

import logging
import socket
from array import array
from bisect import bisect_right
from collections.abc import Iterable
from pathlib import Path
from typing import Generic, TypeVar

import attrs

log = logging.getLogger(__name__)

V = TypeVar("V")

BITS = {4: 32, 6: 128}
_MAPPED_PREFIX = 0xFFFF << 32


def parse_ip(text: str) -> tuple[int, int] | None:
    """``(4, n)`` or ``(6, n)`` for an address, ``None`` when it is not one.

    IPv4-mapped IPv6 addresses (``::ffff:a.b.c.d``, what a dual-stack socket reports) become the
    IPv4 address.  Scope ids (``fe80::1%eth0``) and other decorations are rejected.
    """
    try:
        return 4, int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
    except (OSError, ValueError, UnicodeError, TypeError):
        pass
    try:
        value = int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
    except (OSError, ValueError, UnicodeError, TypeError):
        return None
    if value >> 32 == 0xFFFF:
        return 4, value & 0xFFFFFFFF
    return 6, value


def format_ip(version: int, value: int) -> str:
    family = socket.AF_INET if version == 4 else socket.AF_INET6
    return socket.inet_ntop(family, value.to_bytes(BITS[version] // 8, "big"))


def parse_network(text: str) -> tuple[int, int, int] | None:
    """``(version, prefix_length, prefix_value)`` for ``a.b.c.d/n``, ``x::/n`` or a bare address.

    Host bits after the prefix are allowed and ignored (``10.1.2.3/8`` is ``10.0.0.0/8``), as
    upstream's parser does.  A bare address is a /32 or /128.  ``None`` for anything else.
    """
    address, slash, length_text = text.strip().partition("/")
    parsed = parse_ip(address)
    if parsed is None:
        return None
    version, value = parsed
    if ":" in address and version == 4:
        # an IPv4-mapped network keeps its IPv6 shape: ::ffff:10.0.0.0/104 -> 10.0.0.0/8
        if slash:
            if not length_text.isdigit() or int(length_text) < 96 or int(length_text) > 128:
                return None
            length = int(length_text) - 96
        else:
            length = 32
    elif slash:
        if not length_text.isdigit():
            return None
        length = int(length_text)
    else:
        length = BITS[version]
    if length > BITS[version]:
        return None
    return version, length, value >> (BITS[version] - length)


@attrs.frozen
class NetblockHit(Generic[V]):
    prefix_length: int
    order: int
    value: V


class NetblockTable(Generic[V]):
    """Networks (in file order) with a value each; lookups by containment."""

    def __init__(self, entries: Iterable[tuple[str, V]]) -> None:
        #: version -> [(prefix_length, {prefix_value: [(order, value), ...]})], longest first
        self._by_version: dict[int, list[tuple[int, dict[int, list[tuple[int, V]]]]]] = {}
        self.skipped: list[str] = []
        tables: dict[int, dict[int, dict[int, list[tuple[int, V]]]]] = {4: {}, 6: {}}
        count = 0
        for order, (network_text, value) in enumerate(entries):
            parsed = parse_network(network_text)
            if parsed is None:
                self.skipped.append(network_text)
                continue
            version, length, prefix = parsed
            tables[version].setdefault(length, {}).setdefault(prefix, []).append((order, value))
            count += 1
        self.size = count
        #: version -> (shift, the networks' prefixes of their shortest length): an address
        #: outside all of those is in no network here, found with one set look-up
        self._cover: dict[int, tuple[int, frozenset[int]]] = {}
        for version, by_length in tables.items():
            self._by_version[version] = sorted(by_length.items(), reverse=True)
            if by_length:
                shortest = min(by_length)
                self._cover[version] = (BITS[version] - shortest, frozenset(
                    prefix >> (length - shortest)
                    for length, prefixes in by_length.items() for prefix in prefixes))

    def _may_contain(self, version: int, address: int) -> bool:
        cover = self._cover.get(version)
        return cover is not None and address >> cover[0] in cover[1]

    def containing(self, version: int, address: int) -> list[NetblockHit[V]]:
        """Every entry whose network contains the address, most specific first."""
        if not self._may_contain(version, address):
            return []
        bits = BITS[version]
        hits: list[NetblockHit[V]] = []
        for length, prefixes in self._by_version[version]:
            found = prefixes.get(address >> (bits - length))
            if found:
                hits.extend(NetblockHit(length, order, value) for order, value in found)
        return hits

    def first_containing(self, version: int, address: int) -> V | None:
        """The value of the entry that comes first in file order among those containing it."""
        if not self._may_contain(version, address):
            return None
        best: tuple[int, V] | None = None
        bits = BITS[version]
        for length, prefixes in self._by_version[version]:
            found = prefixes.get(address >> (bits - length))
            if found and (best is None or found[0][0] < best[0]):
                best = found[0]
        return None if best is None else best[1]


#: the ASN of an address range no route covers
_NO_ROUTE = -2


class AsnTable:
    """Longest-prefix match from the ``global_netblocks.txt`` routes to an AS number.

    The routes are flattened at load time into disjoint address ranges, each carrying the ASN of
    the most specific route that covers it (or none), as two sorted arrays per IP version:
    range starts and ASNs.  A lookup is one bisection, whatever the number of prefix lengths.
    """

    def __init__(self) -> None:
        #: version -> (range starts ascending, the ASN of each range or _NO_ROUTE)
        self._ranges: dict[int, tuple[array[int] | list[int], array[int]]] = {}
        self.size = 0

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> tuple[AsnTable, int]:
        """Build from ``<CIDR> <ASN>`` lines; returns the table and the number of skipped lines.

        Unparseable lines, /0 routes and lines without an ASN are skipped (upstream crashes on
        the last kind).  A non-numeric ASN is kept as -1, which matches no host.  A prefix that
        appears twice keeps the later line's ASN.
        """
        staging: dict[int, dict[tuple[int, int], int]] = {4: {}, 6: {}}
        skipped = 0
        for line in lines:
            fields = line.split()
            if len(fields) < 2:
                if fields:
                    skipped += 1
                continue
            parsed = parse_network(fields[0])
            if parsed is None or parsed[1] == 0:
                skipped += 1
                continue
            version, length, prefix = parsed
            try:
                asn = int(fields[1])
            except ValueError:
                asn = -1
            staging[version][(length, prefix)] = asn
        table = cls()
        for version, routes in staging.items():
            if not routes:
                continue
            bits = BITS[version]
            starts, asns = flatten_routes(
                [(prefix << (bits - length), -((prefix + 1) << (bits - length)), asn)
                 for (length, prefix), asn in routes.items()]
            )
            table._ranges[version] = (array("Q", starts) if version == 4 else starts,
                                      array("q", asns))
            table.size += len(routes)
        return table, skipped

    @classmethod
    def from_file(cls, path: Path) -> AsnTable:
        with path.open(encoding="utf-8", errors="replace") as handle:
            table, skipped = cls.from_lines(handle)
        log.info("event=asn_table_loaded path=%s routes=%d skipped=%d", path, table.size, skipped)
        return table

    def lookup(self, version: int, address: int) -> int | None:
        ranges = self._ranges.get(version)
        if ranges is None:
            return None
        starts, asns = ranges
        i = bisect_right(starts, address) - 1
        if i < 0:
            return None
        asn = asns[i]
        return None if asn == _NO_ROUTE else asn


def flatten_routes(routes: list[tuple[int, int, int]]) -> tuple[list[int], list[int]]:
    """Nested or disjoint ``[start, end)`` ranges as ``(start, -end, asn)`` (sorted here in
    place) -> the starts of disjoint ranges covering every address from the first start on,
    each with the ASN of the innermost route containing it (``_NO_ROUTE`` in gaps); neighbours
    with equal ASNs are merged."""
    starts: list[int] = []
    asns: list[int] = []

    def emit(start: int, end: int, asn: int) -> None:
        if start >= end:
            return
        if asns and asns[-1] == asn:
            return  # continues the previous range
        starts.append(start)
        asns.append(asn)

    # outer routes before the routes nested in them: start ascending, end descending
    routes.sort()
    open_routes: list[tuple[int, int]] = []  # (end, asn), innermost last
    position = routes[0][0] if routes else 0
    for start, negative_end, asn in routes:
        end = -negative_end
        while open_routes and open_routes[-1][0] <= start:
            closing_end, closing_asn = open_routes.pop()
            emit(position, closing_end, closing_asn)
            position = max(position, closing_end)
        emit(position, start, open_routes[-1][1] if open_routes else _NO_ROUTE)
        position = max(position, start)
        open_routes.append((end, asn))
    while open_routes:
        closing_end, closing_asn = open_routes.pop()
        emit(position, closing_end, closing_asn)
        position = max(position, closing_end)
    starts.append(position)
    asns.append(_NO_ROUTE)
    return starts, asns
