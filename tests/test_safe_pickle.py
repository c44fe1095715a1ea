"""mmcore.safe_pickle: plain data from every protocol, and no code, ever."""

from __future__ import annotations

import datetime
import os
import pickle
from pathlib import Path

import pytest

from mmcore.safe_pickle import PickleRefused, loads

SAMPLE = {
    "repomd.xml": {"size": 3421, "stat": 1714000300},
    "ünïcode-name.rpm": {"size": 2**40, "stat": -5},
    "list": [1, 2.5, None, True, False, b"\x00\xffbytes", ("a", "b"), (), (1,), (1, 2, 3)],
    "big": 2**100,
    "negative": -(2**70),
    "when": datetime.datetime(2009, 12, 31, 23, 59, 58, 123456),
    "nested": [[{"k": "v"}] * 3],
}


@pytest.mark.parametrize("protocol", range(0, pickle.HIGHEST_PROTOCOL + 1))
def test_every_protocol_reads_back_the_same_value(protocol: int) -> None:
    assert loads(pickle.dumps(SAMPLE, protocol=protocol)) == SAMPLE


def test_python2_pickles() -> None:
    # written by Python 2's pickle (protocol 0 and 2): byte strings and a datetime
    proto0 = (b"(dp0\nS'repomd.xml'\np1\n(dp2\nS'stat'\np3\nI1250000000\nsS'size'\np4\n"
              b"I1234\nssS'when'\np5\ncdatetime\ndatetime\np6\n(S'\\x07\\xd9\\x0c\\x1f"
              b"\\x17;:\\x01\\xe2@'\np7\ntp8\nRp9\ns.")
    assert loads(proto0) == {"repomd.xml": {"stat": 1250000000, "size": 1234},
                             "when": datetime.datetime(2009, 12, 31, 23, 59, 58, 123456)}
    proto2 = (b"\x80\x02}q\x00U\x03fooq\x01}q\x02(U\x04sizeq\x03K\x07U\x04statq\x04J\x00"
              b"\x00\x00\x01us.")
    assert loads(proto2) == {"foo": {"size": 7, "stat": 1 << 24}}


class Exploit:
    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


class Plain:
    pass


@pytest.mark.parametrize("protocol", range(0, pickle.HIGHEST_PROTOCOL + 1))
def test_code_is_never_run(tmp_path: Path, protocol: int) -> None:
    target = tmp_path / "pwned"
    data = pickle.dumps({"files": [Exploit(target)]}, protocol=protocol)
    with pytest.raises(PickleRefused, match=r"global (posix|os)\.system refused"):
        loads(data)
    assert not target.exists()


@pytest.mark.parametrize("value, message", [
    (Plain(), r"global .*(Plain|_reconstructor) refused"),
    ({1, 2}, r"EMPTY_SET|global (builtins|__builtin__).set refused"),
    (frozenset(), r"FROZENSET|global (builtins|__builtin__).frozenset refused"),
    (datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC), r"global datetime.timezone"),
    (datetime.date(2020, 1, 1), r"global datetime.date refused"),
])
def test_other_objects_are_refused(value: object, message: str) -> None:
    for protocol in (0, 2, 4):
        with pytest.raises(PickleRefused, match=message):
            loads(pickle.dumps(value, protocol=protocol))


@pytest.mark.parametrize("data, message", [
    (b"", "truncated"),
    (b"\x80\x04K", "truncated"),
    (b"K\x01K\x02.", "STOP with 2 values"),
    (b"a.", "underflow"),
    (b"cdatetime\ndatetime\n.", "global datetime.datetime is not data"),
    (b"cdatetime\ndatetime\n]\x85R.", "datetime with arguments"),
    (b"(cbuiltins\neval\n.", "global builtins.eval refused"),
    (b"\x80\x05\x95\x00\x00\x00\x00\x00\x00\x00\x00\x97.", "NEXT_BUFFER"),
    (b"h\x05.", "memo key 5"),
    (b"\xff.", "unknown opcode 0xff"),
    (b"\x80\x09N.", "protocol above 5"),
])
def test_malformed_streams(data: bytes, message: str) -> None:
    with pytest.raises(PickleRefused, match=message):
        loads(data)
