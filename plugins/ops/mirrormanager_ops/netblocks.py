"""``netblocks update``: the ``<CIDR> <ASN>`` file the list server reads (its
``global_netblocks.txt``), built from BGP RIB dumps.

Each prefix is kept once (the first dump and entry announcing it wins), with its origin AS.
Dropped: prefixes inside reserved or documentation ranges (bogons: RFC 1918, loopback,
link-local, CGNAT, multicast, Teredo, 6to4, ...), and prefixes broader than
``min_prefix_v4``/``min_prefix_v6`` (a ``0.0.0.0/0`` would match every client).  The file is
replaced atomically, and never by an empty result or one much smaller than the file it replaces
(``max_shrink``) unless forced: a half-downloaded dump must not empty the list server's ASN table.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from pathlib import Path

import attrs

from mmcore.atomic import atomic_writer

from .mrt import read_rib

#: reserved, private and documentation ranges: no route inside them is real
BOGONS_V4 = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
)  # fmt: skip
BOGONS_V6 = (
    "::/8", "100::/64", "2001::/32", "2001:db8::/32", "2002::/16", "3ffe::/16", "fc00::/7",
    "fe80::/10", "fec0::/10", "ff00::/8",
)  # fmt: skip


class NetblocksRefused(Exception):
    """The result is empty or much smaller than the file it would replace."""


@attrs.frozen
class NetblocksResult:
    written: int
    ipv4: int
    ipv6: int
    duplicates: int
    bogons: int
    too_broad: int
    #: prefixes announced without an AS_SEQUENCE
    no_origin: int
    previous: int | None


def _ranges(networks: Iterable[str]) -> dict[int, list[tuple[int, int]]]:
    """First byte -> ``(network as int, prefix length)`` of the ranges starting there; a range
    broader than /8 is listed under every first byte it covers."""
    by_first: dict[int, list[tuple[int, int]]] = {}
    for text in networks:
        net = ipaddress.ip_network(text)
        width = net.max_prefixlen
        value = int(net.network_address)
        first = value >> (width - 8)
        span = 1 << max(0, 8 - net.prefixlen)
        for byte in range(first, first + span):
            by_first.setdefault(byte, []).append((value, net.prefixlen))
    return by_first


@attrs.define
class NetblockBuilder:
    min_prefix_v4: int = 8
    min_prefix_v6: int = 16
    seen: set[bytes] = attrs.field(factory=set)
    lines: list[str] = attrs.field(factory=list)
    ipv4: int = 0
    ipv6: int = 0
    duplicates: int = 0
    bogons: int = 0
    too_broad: int = 0
    no_origin: int = 0
    _bogon_ranges: dict[int, dict[int, list[tuple[int, int]]]] = attrs.field(
        init=False, factory=lambda: {4: _ranges(BOGONS_V4), 6: _ranges(BOGONS_V6)}
    )

    def add_rib(self, path: Path, progress: Callable[[int], None] | None = None) -> None:
        count = 0
        for family, address, length, origin in read_rib(path):
            self.add(family, address, length, origin)
            count += 1
            if progress is not None and not count % 65536:
                progress(65536)
        if progress is not None:
            progress(count % 65536)

    def add(self, family: int, address: bytes, length: int, origin: int | None) -> None:
        if origin is None:
            self.no_origin += 1
            return
        if length < (self.min_prefix_v4 if family == 4 else self.min_prefix_v6):
            self.too_broad += 1
            return
        candidates = self._bogon_ranges[family].get(address[0])
        if candidates and self._inside(address, length, candidates):
            self.bogons += 1
            return
        key = address + bytes((length,))
        if key in self.seen:
            self.duplicates += 1
            return
        self.seen.add(key)
        text = socket.inet_ntop(socket.AF_INET if family == 4 else socket.AF_INET6, address)
        self.lines.append(f"{text}/{length} {origin}\n")
        if family == 4:
            self.ipv4 += 1
        else:
            self.ipv6 += 1

    @staticmethod
    def _inside(address: bytes, length: int, ranges: list[tuple[int, int]]) -> bool:
        width = len(address) * 8
        value = int.from_bytes(address, "big")
        for network, prefix in ranges:
            if length >= prefix and (value ^ network) >> (width - prefix) == 0:
                return True
        return False


def count_lines(path: Path) -> int | None:
    """Lines of an existing netblocks file, ``None`` when there is none."""
    try:
        with open(path, "rb") as handle:
            return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    except FileNotFoundError:
        return None


def write_netblocks(output: Path, builder: NetblockBuilder, *, max_shrink: float,
                    force: bool, dry_run: bool) -> NetblocksResult:
    """Replace ``output`` with the builder's lines (atomically), unless refused.

    :raises NetblocksRefused: nothing to write, or fewer than ``(1 - max_shrink)`` times the
        lines of the present file, and not ``force``.
    """
    previous = count_lines(output)
    written = len(builder.lines)
    if not force:
        if not written:
            raise NetblocksRefused(f"no usable prefix in the dumps; {output} left as it is")
        if previous and written < previous * (1 - max_shrink):
            raise NetblocksRefused(
                f"{written} prefixes would replace {previous} in {output} (more than "
                f"{max_shrink:.0%} fewer); left as it is (--force to replace it anyway)"
            )
    if not dry_run:
        with atomic_writer(output) as handle:
            for start in range(0, written, 65536):
                handle.write("".join(builder.lines[start : start + 65536]).encode("ascii"))
    return NetblocksResult(
        written=written, ipv4=builder.ipv4, ipv6=builder.ipv6, duplicates=builder.duplicates,
        bogons=builder.bogons, too_broad=builder.too_broad, no_origin=builder.no_origin,
        previous=previous,
    )
