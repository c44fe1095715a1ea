"""Mutated caches through the loader, the reload path and the request handler.

A seeded mutator (bit flips, bytes set to 0x00/0x80/0xFF, insertions, deletions, truncations,
duplicated ranges, a byte in a string made invalid UTF-8) turns a valid cache into thousands of
broken ones, within a time bound.  For each: loading raises nothing but ``CacheFormatError``; a
reload keeps the last good generation or swaps in the new one, never raises; when it loads,
every request of a varied set is answered without an exception and without a 500 other than
upstream's intentional ones (and the one for an entry that does not parse without load-time
validation).  ``MIRRORLIST_FUZZ_SECONDS`` gives it longer (default 6 s per mode).
"""

from __future__ import annotations

import os
import random
import time
import traceback
from pathlib import Path

import pytest
from listserver_data import OS, REPODATA, write_geoip, world
from listserver_data import NETBLOCKS as NETBLOCK_LINES

from mirrormanager_mirrorlist.app import CORRUPT_ENTRY, ListService
from mirrormanager_mirrorlist.cacheindex import CacheFormatError, CacheIndex, load_cache
from mirrormanager_mirrorlist.httpmessages import Request, encode_answer
from mirrormanager_mirrorlist.inputs import GeoIP, InputPaths, Inputs
from mirrormanager_mirrorlist.prefixes import AsnTable
from mirrormanager_mirrorlist.targets import BAD_IP, BROKE_IT
from mmcore.atomic import write_atomically
from mmcore.geo import read_country_continent

SECONDS = float(os.environ.get("MIRRORLIST_FUZZ_SECONDS", "6"))
SEED = 20260101
INTENTIONAL_500 = {BROKE_IT, BAD_IP, CORRUPT_ENTRY}
CONTINENTS = read_country_continent(None, strict=False)

QUERIES = [
    "repo=fedora-40&arch=x86_64", "repo=fedora-source-40&arch=ppc", "repo=updates-40&arch=x86_64",
    "repo=fedora-old&arch=x86_64", "repo=nope&arch=x", "repo=fedora-dead&arch=x86_64",
    "repo=broken&arch=x86_64", f"path={OS}", f"path={REPODATA}/repomd.xml",
    "path=pub/alt/rsync-only", f"path={OS}/x.rpm", "repo=fedora-40&arch=x86_64&country=de,global",
    "repo=fedora-40&arch=x86_64&protocol=https,rsync", "repo=fedora-40&arch=x86_64&redirect=1",
    "repo=fedora-40&arch=x86_64&time=1&netblock=0", "repo=updates-40&arch=x86_64&country=XX",
]
CLIENTS = ["192.0.2.5", "10.1.2.3", "198.18.3.3", "172.16.1.1", "2001:db8::1", "203.0.113.9"]
REQUESTS = [
    Request(endpoint, f"{query}&ip={CLIENTS[n % len(CLIENTS)]}", None, "127.0.0.1")
    for n, (endpoint, query) in enumerate(
        (endpoint, query) for endpoint in ("/mirrorlist", "/metalink") for query in QUERIES)
]


def mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        if not out:
            break
        at = rng.randrange(len(out))
        kind = rng.randrange(7)
        if kind == 0:
            out[at] ^= 1 << rng.randrange(8)
        elif kind == 1:
            out[at] = rng.choice((0x00, 0x7F, 0x80, 0xC0, 0xFF))
        elif kind == 2:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        elif kind == 3:
            del out[at : at + rng.randint(1, 8)]
        elif kind == 4:
            del out[at:]
        elif kind == 5:
            where = rng.randrange(len(out))
            out[where:where] = out[at : at + rng.randint(1, 40)]
        else:  # a byte of some string made invalid UTF-8, the structure intact
            letters = [i for i, byte in enumerate(out) if 0x61 <= byte <= 0x7A]
            if letters:
                out[rng.choice(letters)] = rng.choice((0xFF, 0xC3, 0x80, 0xED, 0xF8))
    return bytes(out)


class Loaded:
    """The inputs the handler reads, with one loaded (mutated) cache."""

    def __init__(self, index: CacheIndex, geoip: GeoIP, asn: AsnTable) -> None:
        self.index: CacheIndex | None = index
        self.geoip = geoip
        self.asn: AsnTable | None = asn


def check_answers(index: CacheIndex, geoip: GeoIP, asn: AsnTable) -> list[str]:
    service = ListService(Loaded(index, geoip, asn), minimum=3, rng=random.Random(1))
    problems = []
    for request in REQUESTS:
        try:
            answer = service.answer(request)
            encode_answer(answer, keep_alive=True)
        except Exception:
            problems.append(f"{request.path}?{request.query}: {traceback.format_exc()}")
            continue
        if answer.status == 500 and answer.body not in INTENTIONAL_500:
            problems.append(f"{request.path}?{request.query}: 500 {answer.body[:200]!r}")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("validate", [True, False], ids=["validated", "lazy"])
def test_mutated_caches_never_escape(tmp_path: Path, validate: bool) -> None:
    good = world().build().SerializeToString()
    geoip = GeoIP(write_geoip(tmp_path / "country.mmdb"))
    asn, _ = AsnTable.from_lines(NETBLOCK_LINES.splitlines())
    mutant_path = tmp_path / "mutant.proto"
    rng = random.Random(SEED + validate)
    counts = {"rejected": 0, "loaded": 0}
    problems: list[str] = []
    deadline = time.monotonic() + SECONDS
    number = 0
    while time.monotonic() < deadline and len(problems) < 5:
        number += 1
        mutant = mutate(good, rng)
        mutant_path.write_bytes(mutant)
        try:
            index = load_cache(mutant_path, continents_csv=CONTINENTS, validate=validate)
        except CacheFormatError:
            counts["rejected"] += 1
            continue
        except Exception:
            (tmp_path / f"escape-{number}.proto").write_bytes(mutant)
            problems.append(f"load of mutant {number}: {traceback.format_exc()}")
            continue
        counts["loaded"] += 1
        found = check_answers(index, geoip, asn)
        if found:
            (tmp_path / f"answer-{number}.proto").write_bytes(mutant)
            problems.append(f"mutant {number}: " + "\n".join(found[:3]))
    assert problems == [], "\n\n".join(problems)
    assert counts["rejected"] >= 100 and counts["loaded"] >= 20, counts


@pytest.mark.slow
def test_reloads_of_mutated_caches_keep_a_good_generation(tmp_path: Path) -> None:
    """The reload path: each mutant is either swapped in whole or rejected, and the server's
    current generation always answers."""
    cache = world().write(tmp_path / "cache.proto")
    good = cache.read_bytes()
    inputs = Inputs(InputPaths(cache=cache, geoip=write_geoip(tmp_path / "country.mmdb")))
    inputs.load_all()
    assert inputs.index is not None
    good_generation = inputs.index.generation
    rng = random.Random(SEED + 2)
    deadline = time.monotonic() + SECONDS / 2
    swapped = rejected = 0
    while time.monotonic() < deadline:
        write_atomically(cache, mutate(good, rng))
        before = inputs.index
        if inputs.refresh():
            swapped += 1
            assert inputs.index is not before
            write_atomically(cache, good)  # back to the good one for the next mutant
            assert inputs.refresh() and inputs.index.generation == good_generation
        else:
            rejected += 1
            assert inputs.index is before
        assert inputs.index is not None
        assert inputs.index.view(OS) is not None
    assert rejected >= 50 and swapped >= 5, (rejected, swapped)
