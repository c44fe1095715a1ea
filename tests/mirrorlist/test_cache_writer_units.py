"""Cache writer building blocks: clamp, Subpath rule, hand encoding, netblocks, DNS deadline."""

from __future__ import annotations

import threading
import time

import pytest
from mirrormanager_mirrorlist import mirrormanager_pb2 as pb
from mirrormanager_mirrorlist.host_netblocks import parse_netblock, resolve_names
from mirrormanager_mirrorlist.varint import encode as varint
from mirrormanager_mirrorlist.cache_records import (
    HostCategoryFragment,
    clamp_bandwidth,
    directory_record,
    host_set_parts,
    int_ints,
    string_ints,
    subpath,
)


@pytest.mark.parametrize(
    ("bandwidth", "weight"),
    [(None, 100), (-5, 1), (0, 1), (1, 1), (100, 100), (10_000, 10_000), (10_001, 10_000),
     (2**40, 10_000)],
)
def test_bandwidth_clamp(bandwidth: int | None, weight: int) -> None:
    assert clamp_bandwidth(bandwidth) == weight


@pytest.mark.parametrize(
    ("name", "topdir", "expected"),
    [
        ("pub/fedora/linux", "pub/fedora/linux", ""),
        ("pub/fedora/linux/releases/40", "pub/fedora/linux", "releases/40"),
        ("anything", "", "anything"),
        # upstream's rule does not check the prefix: it only counts bytes
        ("pub/fedora/linuxX/a", "pub/fedora/linux", "X/a"),
        ("pub", "pub/fedora", ""),
        ("pub/épel/9", "pub/épel", "9"),  # bytes, not characters
    ],
)
def test_subpath_rule(name: str, topdir: str, expected: str) -> None:
    assert subpath(name, topdir) == expected


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 2**31, 2**63 - 1, -1, -(2**63)])
def test_varint_matches_protobuf(value: int) -> None:
    message = pb.IntIntMap(key=value, value=0)
    assert message.SerializeToString() == b"\x08" + varint(value) + b"\x10\x00"


def test_hand_encoded_record_equals_protobuf_serialisation() -> None:
    fragments = [
        HostCategoryFragment(7, b"\x10\x07", int_ints(6, 7, [70, 71]), "DE", None),
        HostCategoryFragment(300, b"", int_ints(6, 300, [3000]), None, "US"),
        HostCategoryFragment(2**40, b"\x10" + varint(2**40), b"", "AT", "AT"),
        HostCategoryFragment(9, b"\x10\x09", b"", "DE", None),
    ]
    record = directory_record("pub/ü/dir", "dir", host_set_parts(fragments))
    expected = pb.MirrorList(Time=1)
    entry = expected.MirrorListCache.add(directory="pub/ü/dir", Subpath="dir")
    entry.Global.extend([7, 2**40, 9])
    entry.ByCountry.add(key="AT", value=[2**40])
    entry.ByCountry.add(key="DE", value=[7, 9])
    entry.ByCountryInternet2.add(key="AT", value=[2**40])
    entry.ByCountryInternet2.add(key="US", value=[300])
    entry.ByHostId.add(key=7, value=[70, 71])
    entry.ByHostId.add(key=300, value=[3000])
    assert b"\x08\x01" + record == expected.SerializeToString()
    assert string_ints(15, "k", []) == pb.MirrorList(
        HostNetblockCache=[pb.StringRepeatedIntMap(key="k")]
    ).SerializePartialToString()


@pytest.mark.parametrize(
    ("text", "networks", "dns"),
    [
        ("192.0.2.0/24", ("192.0.2.0/24",), None),
        ("  10.1.2.3/8\t", ("10.1.2.3/8",), None),
        ("192.0.2.0/255.255.255.128", ("192.0.2.0/25",), None),
        ("192.0.2.9", ("192.0.2.9/32",), None),
        ("2001:DB8::1", ("2001:db8::1/128",), None),
        ("2001:db8::/33", ("2001:db8::/33",), None),
        ("10.0.0.0/33", (), None),
        ("fe80::zz", (), None),
        ("", (), None),
        ("mirror.example.org", (), "mirror.example.org"),
    ],
)
def test_parse_netblock(text: str, networks: tuple[str, ...], dns: str | None) -> None:
    parsed = parse_netblock(text)
    assert parsed.networks == networks and parsed.dns_name == dns


def test_resolution_has_one_deadline_for_all_names() -> None:
    release = threading.Event()

    def resolver(name: str) -> list[str]:
        if name.startswith("slow"):
            release.wait(10)
        return ["192.0.2.1", "2001:db8::1"] if name == "fast" else ["192.0.2.2"]

    started = time.monotonic()
    result = resolve_names(["slow1", "fast", "slow2", "fast"], timeout=0.5, workers=4, resolver=resolver)
    elapsed = time.monotonic() - started
    release.set()
    assert result == {"fast": ("192.0.2.1/32", "2001:db8::1/128")}
    assert 0.4 < elapsed < 3.0


def test_resolution_failures_are_left_out() -> None:
    def resolver(name: str) -> list[str]:
        raise OSError("no such name")

    assert resolve_names(["a", "b"], timeout=1, resolver=resolver) == {}
