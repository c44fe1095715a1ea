"""Base-128 varints of the protobuf wire format: the one encoder and the one decoder.

Used by the cache writer (hand-encoded records, ``wire.py``), the list server's walk over a
cache file (``cachefile.py``), the writer's peek at the previous generation, and the benchmark.
"""

from __future__ import annotations

import mmap

_UINT64_MASK = (1 << 64) - 1
#: a varint of a 64-bit value has at most 10 bytes
MAX_BYTES = 10


class VarintError(ValueError):
    """The bytes do not hold a complete varint of at most 64 bits."""


#: the encodings of 0 .. 2**14 - 1 (one or two bytes), looked up rather than computed: the
#: cache writer encodes millions of lengths and small ids
_SMALL: tuple[bytes, ...] = tuple(
    bytes((v,)) if v < 0x80 else bytes(((v & 0x7F) | 0x80, v >> 7)) for v in range(1 << 14)
)


def encode(value: int) -> bytes:
    """Base-128 varint; negative int64 values are encoded as their 64-bit two's complement."""
    if 0 <= value < 16384:
        return _SMALL[value]
    value &= _UINT64_MASK
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode(buf: bytes | bytearray | memoryview | mmap.mmap, pos: int, end: int) -> tuple[int, int]:
    """The varint starting at ``buf[pos]`` (read no further than ``end``): ``(value, position
    after it)``; unsigned (an int64 field's negative value comes back as its two's complement).

    :raises VarintError: the varint runs past ``end`` or is longer than 10 bytes.
    """
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise VarintError(f"truncated varint at byte {pos}")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result & _UINT64_MASK, pos
        shift += 7
        if shift >= 7 * MAX_BYTES:
            raise VarintError(f"overlong varint at byte {pos}")
