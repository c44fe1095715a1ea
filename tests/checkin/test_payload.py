"""The check-in decoder on its own: every bad input is a PayloadError, nothing else escapes,
and a bzip2 bomb is not decompressed beyond the limit."""

from __future__ import annotations

import base64
import bz2
import json
import pickle
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmcore.checkin import payload as payload_module
from mmcore.checkin.payload import PayloadError, decode_payload
from mmcore.checkin.report import InvalidReport, read_report

DATA = Path(__file__).parent / "data"
LIMIT = 1024 * 1024
GIB = 1024**3


def decode(data: object, *, limit: int = LIMIT, containers: int = 10_000) -> object:
    return decode_payload(data, max_payload_bytes=limit, max_containers=containers)


def encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(bz2.compress(raw)).decode()


def test_round_trip_of_what_report_mirror_sends():
    report = {"version": 0, "global": {"enabled": "1"}, "fedora linux": {"dirtree": {"": {}}}}
    assert decode(encode(json.dumps(report).encode())) == report
    # bytes (an XML-RPC <base64> value), the standard alphabet and line breaks are accepted too
    raw = bz2.compress(b'{"a": "\xc3\xa9?>"}')
    assert decode(base64.b64encode(raw)) == {"a": "é?>"}
    assert decode(base64.encodebytes(raw).decode()) == {"a": "é?>"}
    # several bzip2 streams, as bz2.decompress reads them
    two = base64.urlsafe_b64encode(bz2.compress(b'{"a":') + bz2.compress(b" 1}")).decode()
    assert decode(two) == {"a": 1}


@pytest.mark.slow
def test_the_bomb_file_is_a_gibibyte_of_zeros():
    """The control for the bomb tests: the 785 bytes really hold 1 GiB (made with
    ``bz2.BZ2Compressor(9)`` fed 1,024 MiB of zeros)."""
    decompressor = bz2.BZ2Decompressor()
    chunk = decompressor.decompress((DATA / "zeros-1GiB.bz2").read_bytes(), 256 * 1024**2)
    total = len(chunk)
    assert chunk == bytes(len(chunk))
    while not decompressor.eof:
        total += len(decompressor.decompress(b"", 256 * 1024**2))
    assert total == GIB


def test_bomb_stops_at_the_limit(monkeypatch):
    produced = []

    real = bz2.BZ2Decompressor

    class Counting:
        def __init__(self):
            self._inner = real()

        def decompress(self, data, max_length=-1):
            out = self._inner.decompress(data, max_length)
            produced.append(len(out))
            return out

        def __getattr__(self, name):
            return getattr(self._inner, name)

    monkeypatch.setattr(payload_module.bz2, "BZ2Decompressor", Counting)
    bomb = base64.urlsafe_b64encode((DATA / "zeros-1GiB.bz2").read_bytes()).decode()
    with pytest.raises(PayloadError, match=f"more than {LIMIT} bytes"):
        decode(bomb)
    assert sum(produced) == LIMIT + 1  # one byte past the limit, not a gibibyte


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickles_are_recognised_not_loaded(protocol, monkeypatch):
    def forbidden(*_args, **_kwargs):
        raise AssertionError("the decoder unpickled")

    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    data = pickle.dumps({"version": 0, "site": {"name": "x"}}, protocol=protocol)
    with pytest.raises(PayloadError, match="pickle"):
        decode(encode(data))


def test_deep_nesting_is_a_payload_error():
    deep = b"[" * 200_000 + b"]" * 200_000
    with pytest.raises(PayloadError, match="nested too deeply"):
        decode(encode(deep), containers=10**6)
    with pytest.raises(PayloadError, match="more than 10000 JSON objects"):
        decode(encode(deep))


def test_not_a_string():
    with pytest.raises(PayloadError, match="one string"):
        decode(42)
    with pytest.raises(PayloadError, match="non-ASCII"):
        decode("é")


# ---------------------------------------------------------------------------------------------
# fuzzing: whatever arrives, the decoder and the validation raise only their own errors
# ---------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)
reportish = st.fixed_dictionaries(
    {},
    optional={
        "version": json_values | st.just(0),
        "global": json_values | st.just({"enabled": "1"}),
        "site": json_values | st.fixed_dictionaries({"name": json_values, "password": json_values}),
        "host": json_values | st.fixed_dictionaries({"name": json_values},
                                                    optional={"user_active": json_values}),
        "fedora linux": json_values | st.fixed_dictionaries({"dirtree": json_values}),
    },
)


def decode_and_read(data: object) -> None:
    try:
        read_report(decode(data), max_directories=100)
    except (PayloadError, InvalidReport):
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200),
    st.binary(max_size=200).map(lambda raw: base64.urlsafe_b64encode(raw).decode()),
    st.binary(max_size=200).map(lambda raw: encode(raw)),
    st.binary(max_size=300).map(
        lambda raw: base64.urlsafe_b64encode(b"BZh9" + raw).decode()),
    st.tuples(st.binary(min_size=1, max_size=400), st.integers(0, 400)).map(
        lambda t: base64.urlsafe_b64encode(_corrupt(bz2.compress(t[0]), t[1])).decode()),
    json_values.map(lambda v: encode(json.dumps(v).encode())),
    reportish.map(lambda v: encode(json.dumps(v).encode())),
    st.integers() | st.none() | st.lists(st.integers(), max_size=3),
))
def test_fuzz_decoder_raises_only_its_own_errors(data):
    decode_and_read(data)


def _corrupt(data: bytes, position: int) -> bytes:
    position %= len(data)
    return data[:position] + bytes([data[position] ^ 0x55]) + data[position + 1:]
