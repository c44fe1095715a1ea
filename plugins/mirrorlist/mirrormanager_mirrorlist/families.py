"""Address families on the client path: mirrors the client can reach come first.

The crawler records, per host category URL, whether it answered over IPv4 and over IPv6; the
cache writer carries that in ``HCUrlFamilyCache`` (an extension field upstream's readers skip).
A host is *unreachable* for a family in a directory when every one of its URLs there was checked
and none answered over that family; a URL never checked counts as reachable, so a cache without
the extension answers exactly as before.

For a client of a family with unreachable hosts, each tier of the selection is split into its
reachable and unreachable hosts, each part shuffled as the whole tier would be (the weighted
shuffle gives every host an independent key, so the relative order within each part has the
tier's distribution), and the answer is every reachable part, tier by tier, then every
unreachable part.  When no host of the local tiers is reachable while one of the global list is,
the global list is added even if the local tiers had enough hosts: a list never lacks the
client's family when some mirror serves it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

#: ``HCUrlFamilyCache`` value bits
IPV4 = 1
IPV6 = 2
NOTHING_UNREACHABLE: frozenset[int] = frozenset()


def family_bit(address: tuple[int, int]) -> int:
    """The family bit of a parsed client address (``(4, n)`` or ``(6, n)``; IPv4-mapped IPv6
    addresses arrive as ``(4, n)``)."""
    return IPV4 if address[0] == 4 else IPV6


def family_name(bit: int) -> str:
    return "ipv4" if bit == IPV4 else "ipv6"


def unreachable_in(
    by_host: Mapping[int, tuple[int, ...]], url_families: Mapping[int, int], bit: int
) -> frozenset[int]:
    """The hosts of a directory every URL of which was checked and answered not over ``bit``."""
    found = []
    for host, url_ids in by_host.items():
        for url_id in url_ids:
            mask = url_families.get(url_id)
            if mask is None or mask & bit:
                break
        else:
            found.append(host)
    return frozenset(found)


def split(hosts: Sequence[int], unreachable: frozenset[int]) -> tuple[list[int], list[int]]:
    """(reachable hosts, unreachable hosts), each in the given order."""
    ok: list[int] = []
    bad: list[int] = []
    for host in hosts:
        (bad if host in unreachable else ok).append(host)
    return ok, bad


def needs_global(
    candidates: Iterable[int],
    by_host: Mapping[int, tuple[int, ...]],
    unreachable: frozenset[int],
    global_hosts: Iterable[int],
) -> bool:
    """No candidate with URLs here is reachable, while some host of the global list is."""
    if not unreachable:
        return False
    if any(h in by_host and h not in unreachable for h in candidates):
        return False
    return any(h in by_host and h not in unreachable for h in global_hosts)
