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
from bisect import bisect_left
from collections.abc import Iterable, Iterator
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
        for version, by_length in tables.items():
            self._by_version[version] = sorted(by_length.items(), reverse=True)

    def containing(self, version: int, address: int) -> Iterator[NetblockHit[V]]:
        """Every entry whose network contains the address, most specific first."""
        bits = BITS[version]
        for length, prefixes in self._by_version.get(version, ()):
            found = prefixes.get(address >> (bits - length))
            if found:
                for order, value in found:
                    yield NetblockHit(length, order, value)

    def first_containing(self, version: int, address: int) -> V | None:
        """The value of the entry that comes first in file order among those containing it."""
        best: tuple[int, V] | None = None
        bits = BITS[version]
        for length, prefixes in self._by_version.get(version, ()):
            found = prefixes.get(address >> (bits - length))
            if found and (best is None or found[0][0] < best[0]):
                best = found[0]
        return None if best is None else best[1]


class AsnTable:
    """Longest-prefix match from the ``global_netblocks.txt`` routes to an AS number."""

    def __init__(self) -> None:
        #: version -> [(prefix_length, sorted prefixes, asns)], longest first
        self._by_version: dict[int, list[tuple[int, array[int] | list[int], array[int]]]] = {}
        self.size = 0

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> tuple[AsnTable, int]:
        """Build from ``<CIDR> <ASN>`` lines; returns the table and the number of skipped lines.

        Unparseable lines, /0 routes and lines without an ASN are skipped (upstream crashes on
        the last kind).  A non-numeric ASN is kept as -1, which matches no host.  A prefix that
        appears twice keeps the later line's ASN.
        """
        staging: dict[tuple[int, int], dict[int, int]] = {}
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
            staging.setdefault((version, length), {})[prefix] = asn
        table = cls()
        for (version, length), routes in sorted(staging.items(), key=lambda kv: -kv[0][1]):
            keys = sorted(routes)
            prefixes: array[int] | list[int] = array("Q", keys) if version == 4 else keys
            asns = array("q", [routes[k] for k in keys])
            table._by_version.setdefault(version, []).append((length, prefixes, asns))
            table.size += len(keys)
        return table, skipped

    @classmethod
    def from_file(cls, path: Path) -> AsnTable:
        with path.open(encoding="utf-8", errors="replace") as handle:
            table, skipped = cls.from_lines(handle)
        log.info("event=asn_table_loaded path=%s routes=%d skipped=%d", path, table.size, skipped)
        return table

    def lookup(self, version: int, address: int) -> int | None:
        bits = BITS[version]
        for length, prefixes, asns in self._by_version.get(version, ()):
            key = address >> (bits - length)
            i = bisect_left(prefixes, key)
            if i < len(prefixes) and prefixes[i] == key:
                return asns[i]
        return None
