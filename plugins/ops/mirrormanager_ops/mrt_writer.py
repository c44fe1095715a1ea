"""Writing TABLE_DUMP_V2 RIB dumps (RFC 6396): the test suite's and the benchmark's input for
``netblocks update`` (real dumps are hundreds of megabytes and not reachable from the tests)."""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterable, Sequence
from typing import BinaryIO

from .mrt import AS_SEQUENCE, ATTR_AS_PATH, RIB_IPV4_UNICAST, RIB_IPV6_UNICAST, TABLE_DUMP_V2

PEER_INDEX_TABLE = 1
ATTR_ORIGIN = 1
AS_SET = 1


def record(subtype: int, body: bytes, timestamp: int = 1_714_000_000) -> bytes:
    return struct.pack("!IHHI", timestamp, TABLE_DUMP_V2, subtype, len(body)) + body


def peer_index_table(collector: str = "192.0.2.1", peers: int = 2) -> bytes:
    """A PEER_INDEX_TABLE with ``peers`` IPv4 peers using 4-byte ASNs."""
    body = ipaddress.IPv4Address(collector).packed + struct.pack("!H", 4) + b"test"
    body += struct.pack("!H", peers)
    for index in range(peers):
        # peer type: bit 1 = 4-byte AS, bit 0 = IPv6 address (clear: IPv4)
        body += bytes([0x02]) + struct.pack("!I", index + 1)
        body += ipaddress.IPv4Address(f"198.51.100.{index + 1}").packed
        body += struct.pack("!I", 64500 + index)
    return record(PEER_INDEX_TABLE, body)


def as_path_attributes(segments: Sequence[tuple[int, Sequence[int]]]) -> bytes:
    """ORIGIN (IGP) and an AS_PATH of ``(segment type, ASNs)`` segments, 4-byte ASNs."""
    path = b"".join(
        bytes([kind, len(asns)]) + b"".join(struct.pack("!I", asn) for asn in asns)
        for kind, asns in segments
    )
    origin = bytes([0x40, ATTR_ORIGIN, 1, 0])
    if len(path) > 255:
        return origin + bytes([0x50, ATTR_AS_PATH]) + struct.pack("!H", len(path)) + path
    return origin + bytes([0x40, ATTR_AS_PATH, len(path)]) + path


def rib_record(sequence: int, network: str, paths: Iterable[Sequence[tuple[int, Sequence[int]]]]
               ) -> bytes:
    """A RIB_IPV4_UNICAST or RIB_IPV6_UNICAST record: one entry per AS path."""
    net = ipaddress.ip_network(network)
    size = (net.prefixlen + 7) // 8
    body = struct.pack("!IB", sequence, net.prefixlen) + net.network_address.packed[:size]
    entries = [as_path_attributes(segments) for segments in paths]
    body += struct.pack("!H", len(entries))
    for index, attributes in enumerate(entries):
        body += struct.pack("!HIH", index % 2, 1_714_000_000, len(attributes)) + attributes
    subtype = RIB_IPV4_UNICAST if net.version == 4 else RIB_IPV6_UNICAST
    return record(subtype, body)


def write_rib(stream: BinaryIO, routes: Iterable[tuple[str, int]], *, peers: int = 2) -> int:
    """A dump announcing each ``(network, origin AS)`` through ``peers`` entries (the first
    with the path ``64500 <origin>``); returns the records written."""
    stream.write(peer_index_table(peers=peers))
    count = 0
    for sequence, (network, origin) in enumerate(routes):
        paths = [[(AS_SEQUENCE, [64500 + peer, 3356, origin])] for peer in range(peers)]
        stream.write(rib_record(sequence, network, paths))
        count += 1
    return count
