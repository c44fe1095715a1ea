"""Small pieces of the list server's reading of a cache and writing of answers: the one varint
codec, the strict view of the schema, header values and XML comments made safe."""

from __future__ import annotations

import pytest
from google.protobuf.message import DecodeError
from listserver_data import many_directories

from mirrormanager_mirrorlist import mirrormanager_pb2 as pb
from mirrormanager_mirrorlist import strict_pb, varint
from mirrormanager_mirrorlist.httpmessages import Answer, encode_answer
from mirrormanager_mirrorlist.render import xml_comment_text


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 2**31, 2**63 - 1, 2**64 - 1])
def test_varint_round_trip(value: int) -> None:
    data = b"\xaa" + varint.encode(value) + b"\xbb"
    assert varint.decode(data, 1, len(data)) == (value, len(data) - 1)


def test_varint_negative_int64_is_its_twos_complement() -> None:
    data = varint.encode(-1)
    assert len(data) == 10 and varint.decode(data, 0, len(data))[0] == 2**64 - 1


def test_varint_errors() -> None:
    with pytest.raises(varint.VarintError, match="truncated"):
        varint.decode(b"\x80\x80", 0, 2)
    with pytest.raises(varint.VarintError, match="truncated"):
        varint.decode(b"\x96\x01", 0, 1)  # ``end`` is respected
    with pytest.raises(varint.VarintError, match="overlong"):
        varint.decode(b"\xff" * 11, 0, 11)


def test_the_strict_schema_reads_the_same_wire_format() -> None:
    data = many_directories(count=3).build().SerializeToString()
    strict = strict_pb.MirrorList.FromString(data)
    assert strict.SerializeToString() == data
    assert pb.MirrorList.FromString(strict.SerializeToString()) == pb.MirrorList.FromString(data)
    assert strict.IsInitialized()
    partial = pb.MirrorList(HCUrlCache=[pb.IntStringMap(key=1, value="x")])  # no Time
    assert strict_pb.MirrorList.FromString(partial.SerializePartialToString()) \
        .FindInitializationErrors() == ["Time"]


def test_the_strict_schema_rejects_strings_that_are_not_utf8() -> None:
    entry = pb.MirrorListCacheType(directory="pub/abc", Subpath="abc").SerializeToString()
    bad = entry.replace(b"abc", b"a\xffc")
    assert isinstance(pb.MirrorListCacheType.FromString(bad).directory, bytes)  # proto2: bytes
    with pytest.raises(DecodeError, match="UTF-8"):
        strict_pb.MirrorListCacheType.FromString(bad)


def test_header_values_cannot_split_the_header() -> None:
    data = encode_answer(Answer(302, "text/plain", "", "http://x/\r\nSet-Cookie: a=b\n\0"),
                         keep_alive=True)
    head = data.split(b"\r\n\r\n", 1)[0]
    assert b"Location: http://x/%0D%0ASet-Cookie: a=b%0A%00\r\n" in head + b"\r\n"
    assert b"\nSet-Cookie" not in head


@pytest.mark.parametrize(("text", "expected"), [
    ("plain # repo=a&arch=b", "plain # repo=a&arch=b"),
    ("a-->b", "a- ->b"),
    ("----", "- - - -"),
    ("x\x00y\udcff\ufffe", "x\ufffdy\ufffd\ufffd"),
])
def test_xml_comment_text(text: str, expected: str) -> None:
    assert xml_comment_text(text) == expected
