"""``NetblockTable`` (host netblocks, netblock countries) answers exactly like a scan of every
network, for addresses inside its networks and the many outside all of them (which its
shortest-prefix pre-check turns away with one set look-up)."""

from __future__ import annotations

import random

from test_selection_asn import random_routes

from mirrormanager_mirrorlist.prefixes import NetblockTable, parse_network


def scan(entries: list[tuple[str, int]], version: int, address: int) -> list[tuple[int, int, int]]:
    """(prefix length, file order, value) of every entry containing the address."""
    bits = 32 if version == 4 else 128
    found = []
    for order, (text, value) in enumerate(entries):
        parsed = parse_network(text)
        assert parsed is not None
        v, length, prefix = parsed
        if v == version and address >> (bits - length) == prefix:
            found.append((length, order, value))
    return found


def probes(rng: random.Random, entries: list[tuple[str, int]]) -> list[tuple[int, int]]:
    """Addresses in each network, next to it, and random ones (mostly in none)."""
    out = []
    for text, _ in entries:
        version, length, prefix = parse_network(text)  # type: ignore[misc]
        bits = 32 if version == 4 else 128
        inside = (prefix << (bits - length)) | rng.getrandbits(bits - length) if length < bits \
            else prefix
        out += [(version, inside), (version, (inside + (1 << (bits - length))) % (1 << bits))]
    out += [(4, rng.getrandbits(32)) for _ in range(300)]
    out += [(6, (0x2001 << 112) | rng.getrandbits(112)) for _ in range(300)]
    return out


def test_lookups_match_a_scan_of_every_network() -> None:
    rng = random.Random(11)
    for round_ in range(6):
        entries = random_routes(rng, 40 + 60 * round_)
        table = NetblockTable(entries)
        for version, address in probes(rng, entries):
            expected = scan(entries, version, address)
            hits = table.containing(version, address)
            # most specific first; within one network, file order
            assert [(h.prefix_length, h.order, h.value) for h in hits] == sorted(
                expected, key=lambda e: (-e[0], e[1]))
            first = min(expected, key=lambda e: e[1])[2] if expected else None
            assert table.first_containing(version, address) == first


def test_an_empty_table_or_family_contains_nothing() -> None:
    assert NetblockTable([]).containing(4, 1) == []
    only_v4 = NetblockTable([("10.0.0.0/8", 1)])
    assert only_v4.first_containing(6, 1 << 100) is None
    assert only_v4.containing(4, 10 << 24)[0].value == 1
