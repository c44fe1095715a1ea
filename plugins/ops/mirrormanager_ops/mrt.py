"""A small reader of BGP routing table dumps in MRT format (RFC 6396, TABLE_DUMP_V2), enough to
map each announced prefix to its origin AS.

Read: ``RIB_IPV4_UNICAST`` (2), ``RIB_IPV6_UNICAST`` (4) and their ADD-PATH forms (8, 10;
RFC 8050).  Every other record (the peer index table, multicast RIBs, BGP4MP updates, other MRT
types) is skipped by its length.  Only the first RIB entry of each prefix is decoded: its
``AS_PATH`` (4-byte ASNs, as TABLE_DUMP_V2 requires) gives the origin, the last AS of the last
``AS_SEQUENCE`` segment.  A path that ends in an ``AS_SET`` still takes the last AS of the
sequence before it, as MirrorManager2 does; a prefix without an ``AS_SEQUENCE`` is skipped.

A truncated file or a record whose fields overrun it raises :class:`MrtError` with the file and
the byte offset of the record.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .compressed import READ_ERRORS, open_decompressed, read_error_reason

TABLE_DUMP_V2 = 13
RIB_IPV4_UNICAST, RIB_IPV6_UNICAST = 2, 4
RIB_IPV4_UNICAST_ADDPATH, RIB_IPV6_UNICAST_ADDPATH = 8, 10
#: subtype -> (address family 4 or 6, has path identifiers)
RIB_SUBTYPES = {
    RIB_IPV4_UNICAST: (4, False),
    RIB_IPV6_UNICAST: (6, False),
    RIB_IPV4_UNICAST_ADDPATH: (4, True),
    RIB_IPV6_UNICAST_ADDPATH: (6, True),
}
ATTR_AS_PATH = 2
AS_SEQUENCE = 2
#: no MRT record of a RIB is anywhere near this; a larger length means a corrupt header
MAX_RECORD = 16 << 20

_HEADER = struct.Struct("!IHHI")
_U16 = struct.Struct("!H")


class MrtError(Exception):
    """The dump is truncated or malformed; the message names the file and the offset."""


def origin_as(attributes: memoryview) -> int | None:
    """The origin AS of a path attribute block, ``None`` when it has no AS_SEQUENCE.

    :raises ValueError: an attribute or segment overruns the block.
    """
    offset, end = 0, len(attributes)
    while offset < end:
        if offset + 3 > end:
            raise ValueError("truncated path attribute header")
        flags, kind = attributes[offset], attributes[offset + 1]
        if flags & 0x10:  # extended length
            if offset + 4 > end:
                raise ValueError("truncated path attribute header")
            length = _U16.unpack_from(attributes, offset + 2)[0]
            offset += 4
        else:
            length = attributes[offset + 2]
            offset += 3
        if offset + length > end:
            raise ValueError("path attribute overruns its entry")
        if kind == ATTR_AS_PATH:
            return _last_sequence_as(attributes[offset : offset + length])
        offset += length
    return None


def _last_sequence_as(path: memoryview) -> int | None:
    origin = None
    offset, end = 0, len(path)
    while offset < end:
        if offset + 2 > end:
            raise ValueError("truncated AS_PATH segment")
        kind, count = path[offset], path[offset + 1]
        offset += 2 + 4 * count
        if offset > end:
            raise ValueError("AS_PATH segment overruns the attribute")
        if kind == AS_SEQUENCE and count:
            origin = int.from_bytes(path[offset - 4 : offset], "big")
    return origin


def _rib_prefix(body: memoryview, family: int, addpath: bool) -> tuple[bytes, int, int | None]:
    """``(address bytes padded to 4 or 16, prefix length, origin AS)`` of one RIB record."""
    width = 4 if family == 4 else 16
    length = body[4]
    if length > width * 8:
        raise ValueError(f"prefix length {length} for IPv{family}")
    size = (length + 7) // 8
    offset = 5 + size
    address = bytearray(body[5:offset])
    if len(address) != size:
        raise ValueError("truncated prefix")
    if length % 8:
        address[-1] &= (0xFF << (8 - length % 8)) & 0xFF  # clear bits past the prefix
    address.extend(bytes(width - size))
    if offset + 2 > len(body):
        raise ValueError("truncated entry count")
    entries = _U16.unpack_from(body, offset)[0]
    offset += 2
    if not entries:
        return bytes(address), length, None
    # peer index (2), originated time (4), [path id (4)], attribute length (2)
    offset += 10 if addpath else 6
    if offset + 2 > len(body):
        raise ValueError("truncated RIB entry")
    attr_length = _U16.unpack_from(body, offset)[0]
    offset += 2
    if offset + attr_length > len(body):
        raise ValueError("RIB entry attributes overrun the record")
    return bytes(address), length, origin_as(body[offset : offset + attr_length])


def read_records(stream: BinaryIO, name: str) -> Iterator[tuple[int, bytes, int, int | None]]:
    """``(family, address, prefix length, origin AS)`` of every unicast RIB record."""
    offset = 0
    read = stream.read
    while True:
        header = read(12)
        if not header:
            return
        if len(header) < 12:
            raise MrtError(f"{name}: offset {offset}: truncated MRT header")
        _time, kind, subtype, length = _HEADER.unpack(header)
        if length > MAX_RECORD:
            raise MrtError(f"{name}: offset {offset}: record length {length} is not plausible "
                           "(not an MRT file, or corrupt)")
        body = read(length)
        if len(body) < length:
            raise MrtError(f"{name}: offset {offset}: record truncated ({len(body)} of "
                           f"{length} bytes)")
        if kind == TABLE_DUMP_V2 and subtype in RIB_SUBTYPES:
            family, addpath = RIB_SUBTYPES[subtype]
            try:
                address, prefix_length, origin = _rib_prefix(memoryview(body), family, addpath)
            except (ValueError, IndexError) as exc:
                raise MrtError(f"{name}: offset {offset}: bad RIB record: {exc}") from None
            yield family, address, prefix_length, origin
        offset += 12 + length


def read_rib(path: Path) -> Iterator[tuple[int, bytes, int, int | None]]:
    """:func:`read_records` of a (possibly gzip-, bzip2- or xz-compressed) file."""
    try:
        with open_decompressed(path) as stream:
            yield from read_records(stream, str(path))
    except READ_ERRORS as exc:
        raise MrtError(f"{path}: {read_error_reason(exc)}") from None
