"""The flattened ASN table answers the longest-prefix match exactly like a scan of every route."""

from __future__ import annotations

import random
import socket

from mirrormanager_mirrorlist.prefixes import AsnTable, parse_ip, parse_network


def longest_match(routes: list[tuple[str, int]], version: int, address: int) -> int | None:
    """Brute force: the last line's ASN among the longest routes containing the address."""
    best: tuple[int, int] | None = None
    bits = 32 if version == 4 else 128
    for text, asn in routes:
        parsed = parse_network(text)
        assert parsed is not None
        v, length, prefix = parsed
        if v != version or length == 0 or address >> (bits - length) != prefix:
            continue
        if best is None or length >= best[0]:
            best = (length, asn)
    return None if best is None else best[1]


def random_routes(rng: random.Random, count: int) -> list[tuple[str, int]]:
    routes = []
    for _ in range(count):
        if rng.random() < 0.8:
            length = rng.randint(1, 32)
            value = rng.getrandbits(32) & (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF
            # concentrate in a few /8s so that routes nest and overlap
            value = (rng.choice((10, 11, 192)) << 24) | (value & 0xFFFFFF) if length > 8 else value
            text = f"{socket.inet_ntoa(value.to_bytes(4, 'big'))}/{length}"
        else:
            length = rng.randint(16, 64)
            value = (0x2001 << 112) | (rng.getrandbits(112) >> (128 - length) << (128 - length))
            text = f"{socket.inet_ntop(socket.AF_INET6, value.to_bytes(16, 'big'))}/{length}"
        routes.append((text, rng.choice((64500, 64501, 64502, rng.randint(1, 400000)))))
    return routes


def probe_addresses(rng: random.Random, routes: list[tuple[str, int]]) -> list[str]:
    probes = ["0.0.0.0", "255.255.255.255", "10.0.0.0", "::", "2001::"]
    for text, _ in routes:
        network = text.split("/")[0]
        parsed = parse_ip(network)
        assert parsed is not None
        version, value = parsed
        bits = 32 if version == 4 else 128
        length = int(text.split("/")[1])
        span = 1 << (bits - length)
        for candidate in (value, value + span - 1, value + span, value - 1,
                          value + rng.randrange(span)):
            candidate %= 1 << bits
            family = socket.AF_INET if version == 4 else socket.AF_INET6
            probes.append(socket.inet_ntop(family, candidate.to_bytes(bits // 8, "big")))
    return probes


def test_flattened_table_matches_the_longest_prefix() -> None:
    rng = random.Random(7)
    for _ in range(20):
        routes = random_routes(rng, rng.randint(1, 120))
        table, skipped = AsnTable.from_lines(f"{text} {asn}\n" for text, asn in routes)
        assert skipped == 0
        for probe in probe_addresses(rng, routes):
            parsed = parse_ip(probe)
            assert parsed is not None
            assert table.lookup(*parsed) == longest_match(routes, *parsed), (probe, routes)


def test_duplicate_prefix_keeps_the_later_line_and_bad_lines_are_skipped() -> None:
    table, skipped = AsnTable.from_lines(
        ["10.0.0.0/8 1\n", "10.0.0.0/8 2\n", "10.1.0.0/16 x\n", "10.2.0.0/16\n", "junk 5\n",
         "0.0.0.0/0 9\n", "\n"]
    )
    assert skipped == 3
    assert table.lookup(4, int.from_bytes(socket.inet_aton("10.9.9.9"), "big")) == 2
    assert table.lookup(4, int.from_bytes(socket.inet_aton("10.1.9.9"), "big")) == -1
    assert table.lookup(4, int.from_bytes(socket.inet_aton("11.0.0.0"), "big")) is None
    assert table.lookup(6, 1) is None
