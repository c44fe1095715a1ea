"""The per-(directory, country) plans (plans.py) against the general selection path: the same
random generator state must give byte-identical answers, for many random requests, whatever
the view cache evicts in between."""

from __future__ import annotations

import random
from pathlib import Path

import netaddr
from listserver_data import PUBDATE_CLOCK
from mmdb_writer import MMDBWriter

from mirrormanager_mirrorlist import mirrormanager_pb2 as pb
from mirrormanager_mirrorlist.app import ListService
from mirrormanager_mirrorlist.builder import CacheBuilder
from mirrormanager_mirrorlist.httpmessages import Request
from mirrormanager_mirrorlist.inputs import InputPaths, Inputs

COUNTRIES = ["DE", "AT", "FR", "SE", "US", "CA", "JP", "BR", "ZA"]
DIRECTORIES = [f"pub/fedora/linux/releases/{v}/Everything/x86_64/os" for v in range(38, 42)]
NETBLOCKS = "198.18.0.0/15 64500\n198.20.0.0/16 64501\n2001:db8:ff00::/40 64501\n"
#: GeoIP: one /24 per country; 203.0.113.0/24 is in no database (N/A)
GEO = {country: f"192.0.{i}" for i, country in enumerate(COUNTRIES)}
#: the same countries over IPv6: one /48 each
GEO6 = {country: f"2001:db8:{i}:" for i, country in enumerate(COUNTRIES)}
#: address families of a host's URLs (HCUrlFamilyCache): unchecked, IPv4, IPv6, both, neither
FAMILIES = [None, None, 1, 1, 1, 2, 3, 3, 0]


def random_world(seed: int) -> CacheBuilder:
    rng = random.Random(seed)
    b = CacheBuilder(1_714_000_000)
    hosts = []
    for host in range(1, 61):
        country = rng.choice(COUNTRIES)
        schemes = rng.choice([["http"], ["https", "rsync"], ["rsync"], ["ftp", "http"],
                              ["rsync", "https", "http"]])
        base = f"{country.lower()}{host}.example/pub" + ("/" if host % 7 == 0 else "")
        private = host % 11 == 0
        b.host(
            host, [f"{s}://{base}" for s in schemes],
            country=country.lower() if host % 5 == 0 else country,
            bandwidth=rng.randint(1, 10000),
            private=private,
            asn=64500 + host % 2 if host % 9 == 0 else None,
            allowed=["DE", "AT"] if host % 13 == 0 else (),
            netblocks=([f"10.{host % 3}.0.0/16", f"fd00:{host % 3}::/32"]
                       if private or host % 17 == 0 else ()),
            families=FAMILIES[host % len(FAMILIES)] if seed % 2 else rng.choice(FAMILIES),
        )
        hosts.append(host)
    b.netblocks.setdefault("10.0.0.0/8", []).append(3)
    for i, directory in enumerate(DIRECTORIES):
        members = rng.sample(hosts, rng.randint(5, 50))
        subpath = directory.removeprefix("pub/fedora/") if i % 2 else ""
        b.directory(directory, members, subpath=subpath)
        b.directory(directory + "/repodata", members, subpath=subpath + "/repodata"
                    if subpath else "")
        b.repo(f"fedora-{38 + i}", "x86_64", directory)
        b.files(directory + "/repodata", "repomd.xml",
                pb.FileDetailsType(TimeStamp=1_713_999_000, Size=4057, SHA256="a" * 64),
                pb.FileDetailsType(TimeStamp=1_713_900_000, Size=4000, MD5="m" * 32))
    b.netblock_countries.append(("172.16.0.0/12", "JP"))
    return b


def services(
    tmp_path: Path, seed: int, minimum: int, view_capacity: int
) -> tuple[ListService, ListService]:
    """The same world twice: answering through plans, and through the general path only."""
    cache = random_world(seed).write(tmp_path / "cache.proto")
    geoip = tmp_path / "country.mmdb"
    writer = MMDBWriter(ip_version=6, database_type="GeoIP2-Country", languages=["en"],
                        description="plans", ipv4_compatible=True)
    for country, prefix in GEO.items():
        writer.insert_network(netaddr.IPSet([f"{prefix}.0/24"]),
                              {"country": {"iso_code": country}})
    for country, prefix in GEO6.items():
        writer.insert_network(netaddr.IPSet([f"{prefix}:/48"]),
                              {"country": {"iso_code": country}})
    writer.to_db_file(str(geoip))
    netblocks = tmp_path / "global_netblocks.txt"
    netblocks.write_text(NETBLOCKS)
    made = []
    for use_plans in (True, False):
        inputs = Inputs(InputPaths(cache=cache, geoip=geoip, netblocks=netblocks),
                        view_capacity=view_capacity)
        inputs.load_all()
        made.append(ListService(inputs, minimum=minimum, rng=random.Random(seed),
                                clock=lambda: PUBDATE_CLOCK, use_plans=use_plans))
    return made[0], made[1]


def random_request(rng: random.Random) -> tuple[str, str, str | None]:
    endpoint = rng.choice(["/mirrorlist"] * 3 + ["/metalink"])
    version = rng.randint(38, 41)
    params = []
    if rng.random() < 0.8:
        params.append(f"repo=fedora-{version}&arch=x86_64")
    else:
        directory = f"pub/fedora/linux/releases/{version}/Everything/x86_64/os"
        params.append(rng.choice([f"path={directory}", f"path={directory}/repodata/repomd.xml"]))
    ip = rng.choice(
        [f"{prefix}.{rng.randint(1, 254)}" for prefix in GEO.values()]
        + ["203.0.113.5", "10.0.1.1", "10.1.2.3", "10.2.0.9", "198.18.1.1", "198.20.5.5",
           "172.16.9.9"]
        + [f"{prefix}:{rng.randint(1, 999)}" for prefix in GEO6.values()]
        + ["2001:db8:ff01::7", "fd00:1::5", "fd00:2:1::1", "2001:db8:abcd::1"]
    )
    if rng.random() < 0.1:
        params.append("country=" + rng.choice(["de", "FR", "global", "ZA,us", "XX"]))
    if rng.random() < 0.1:
        params.append("protocol=" + rng.choice(["https", "rsync", "http,https"]))
    if rng.random() < 0.05:
        params.append("netblock=0")
    if rng.random() < 0.05:
        params.append("redirect")
    if rng.random() < 0.05:
        params.append("time")
    params.append("countme=1")
    return endpoint, "&".join(params), ip


def test_plans_give_identical_answers_to_the_general_path(tmp_path: Path) -> None:
    for seed, minimum, capacity in [(1, 5, 1_000_000), (2, 1, 1_000_000), (3, 5, 40)]:
        work = tmp_path / str(seed)
        work.mkdir()
        planned, general = services(work, seed, minimum, capacity)
        requests = random.Random(seed)
        used_plans = 0
        for _ in range(3000):
            endpoint, query, ip = random_request(requests)
            a = planned.answer(Request(endpoint, query, ip, "127.0.0.1"))
            b = general.answer(Request(endpoint, query, ip, "127.0.0.1"))
            assert (a.status, a.content_type, a.body, a.location) == (
                b.status, b.content_type, b.body, b.location
            ), (endpoint, query, ip)
        index = planned.inputs.index
        assert index is not None
        for directory in DIRECTORIES:
            view = index.views.get(directory)
            if view is not None:
                used_plans += sum(plan is not None for plan in view.plans.values())
        if capacity > 1000:
            assert used_plans > 0
        else:
            assert index.views.misses > 2 * len(DIRECTORIES)  # views (and plans) evicted
        # the general service never built a plan
        assert general.inputs.index is not None
        assert all(not view.plans for view in general.inputs.index.views._views.values())


def test_plan_reused_and_shuffled_per_request(tmp_path: Path) -> None:
    planned, _ = services(tmp_path, 4, 5, 1_000_000)
    query = "repo=fedora-40&arch=x86_64"
    bodies = {planned.answer(Request("/mirrorlist", query, GEO["DE"] + ".9", "x")).body
              for _ in range(200)}
    index = planned.inputs.index
    assert index is not None
    view = index.views.get(DIRECTORIES[2])
    assert view is not None and [key[:2] for key in view.plans] == [("DE", 5)]
    lines = {len(body.splitlines()) for body in bodies}
    assert len(lines) == 1
    if lines.pop() > 3:
        assert len(bodies) > 1  # a fresh weighted shuffle every time


def test_two_host_tiers_draw_and_order_as_longer_ones() -> None:
    """``shuffled`` orders a two-host tier without the general machinery: the same two draws,
    the same order (ties keep tier order), the generator left in the same state."""
    from mirrormanager_mirrorlist.plans import shuffled

    for seed in range(400):
        inverse = (1 / (1 + seed % 7), 1 / (1 + seed % 3 * 50))
        fast, slow = random.Random(seed), random.Random(seed)
        keys = [slow.random() ** w for w in inverse]
        expected = tuple(sorted(("a", "b"), key=lambda x: keys["ab".index(x)], reverse=True))
        assert tuple(shuffled(("a", "b"), inverse, fast)) == expected
        assert fast.random() == slow.random()
    assert tuple(shuffled(("a", "b"), (1.0, 1.0), _Fixed(0.5))) == ("a", "b")  # a tie


class _Fixed(random.Random):
    def random(self) -> float:
        return 0.5
