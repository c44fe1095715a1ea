"""Hand encoding of the protobuf wire format for the hot path of the cache writer.

The writer emits ``MirrorListCache`` records (one per directory) millions of sub-entries at a
time; building generated message objects for them costs most of the run.  These helpers produce
exactly the bytes ``SerializeToString`` would (fields in number order, proto2 unpacked repeated
scalars), which the tests check by parsing and re-serialising.
"""

from __future__ import annotations

import functools

from mirrormanager_mirrorlist import varint

WIRE_VARINT = 0
WIRE_LEN = 2


@functools.cache
def tag(field_number: int, wire_type: int) -> bytes:
    return varint.encode((field_number << 3) | wire_type)


def int_field(field_number: int, value: int) -> bytes:
    """One varint-typed field (int64/uint64/bool) with its tag."""
    return tag(field_number, WIRE_VARINT) + varint.encode(value)


def len_field(field_number: int, payload: bytes) -> bytes:
    """One length-delimited field (string, bytes, sub-message) with its tag and length."""
    return tag(field_number, WIRE_LEN) + varint.encode(len(payload)) + payload


def str_field(field_number: int, value: str) -> bytes:
    return len_field(field_number, value.encode("utf-8"))
