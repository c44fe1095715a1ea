"""Address families in answers: mirrors the client's family reaches come first, and a list
never lacks that family when a mirror serves it (``HCUrlFamilyCache``, families.py)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mirrormanager_mirrorlist.app import ListService
from mirrormanager_mirrorlist.builder import CacheBuilder
from mirrormanager_mirrorlist.families import IPV4, IPV6
from mirrormanager_mirrorlist.httpmessages import Request
from mirrormanager_mirrorlist.inputs import InputPaths, Inputs

DIRECTORY = "pub/fedora/linux/updates/40/x86_64"
RA = "repo=updates-40&arch=x86_64"
V4_DE, V6_DE = "192.0.2.10", "2001:db8:de::10"
V4_US, V6_US = "198.51.100.10", "2001:db8:5::10"


def world(hosts: dict[str, tuple[str, int | None]], *, netblocks: dict[str, str] = {}
          ) -> CacheBuilder:
    """``hosts``: name -> (country, families); the host ``net`` of ``netblocks`` is private."""
    b = CacheBuilder(1_714_000_000)
    for number, (name, (country, families)) in enumerate(hosts.items(), 1):
        b.host(number, [f"http://{name}.example/pub"], country=country, families=families,
               bandwidth=100, netblocks=[netblocks[name]] if name in netblocks else ())
    b.directory(DIRECTORY, range(1, len(hosts) + 1), subpath="updates/40/x86_64")
    b.repo("updates-40", "x86_64", DIRECTORY)
    b.netblock_countries += [("192.0.2.0/24", "DE"), ("2001:db8:de::/48", "DE"),
                             ("198.51.100.0/24", "US"), ("2001:db8:5::/48", "US")]
    return b


def service(tmp_path: Path, builder: CacheBuilder, *, minimum: int = 1, seed: int = 1,
            use_plans: bool = True) -> ListService:
    inputs = Inputs(InputPaths(cache=builder.write(tmp_path / f"cache-{use_plans}.proto")))
    inputs.load_all()
    return ListService(inputs, minimum=minimum, rng=random.Random(seed), use_plans=use_plans)


def hosts_of(svc: ListService, ip: str, query: str = RA) -> list[str]:
    answer = svc.answer(Request("/mirrorlist", f"{query}&ip={ip}", None, "127.0.0.1"))
    assert answer.status == 200, answer.body
    return [line.split("//")[1].split(".")[0] for line in answer.body.splitlines()[1:]]


@pytest.mark.parametrize("use_plans", [True, False])
def test_reachable_mirrors_first_within_the_country(tmp_path: Path, use_plans: bool) -> None:
    svc = service(tmp_path, world({"v4a": ("DE", IPV4), "v4b": ("DE", IPV4),
                                   "v6": ("DE", IPV6), "both": ("DE", IPV4 | IPV6),
                                   "unchecked": ("DE", None)}), use_plans=use_plans)
    for _ in range(30):
        six = hosts_of(svc, V6_DE)
        assert set(six[:3]) == {"v6", "both", "unchecked"} and set(six[3:]) == {"v4a", "v4b"}
        four = hosts_of(svc, V4_DE)
        assert set(four[:4]) == {"v4a", "v4b", "both", "unchecked"} and four[4] == "v6"


@pytest.mark.parametrize("use_plans", [True, False])
def test_global_added_when_no_local_mirror_serves_the_family(tmp_path: Path,
                                                              use_plans: bool) -> None:
    svc = service(tmp_path, world({"de1": ("DE", IPV4), "de2": ("DE", IPV4),
                                   "us6": ("US", IPV6), "us4": ("US", IPV4)}),
                  use_plans=use_plans)
    six = hosts_of(svc, V6_DE)
    assert six[0] == "us6" and set(six) == {"us6", "us4", "de1", "de2"}
    assert "country = global" in svc.answer(
        Request("/mirrorlist", f"{RA}&ip={V6_DE}", None, "x")).body.splitlines()[0]
    # IPv4 clients: enough local mirrors, no global list, as before
    assert set(hosts_of(svc, V4_DE)) == {"de1", "de2"}


def test_nothing_serves_the_family_answers_as_without_families(tmp_path: Path) -> None:
    hosts = {"de1": ("DE", IPV4), "de2": ("DE", IPV4), "us4": ("US", IPV4)}
    checked = service(tmp_path, world(hosts))
    plain = service(tmp_path / "..", world({k: (c, None) for k, (c, _) in hosts.items()}))
    for _ in range(20):
        assert hosts_of(checked, V6_DE) == hosts_of(plain, V6_DE)


def test_a_cache_without_families_answers_both_families_alike(tmp_path: Path) -> None:
    hosts = {f"h{n}": ("DE", None) for n in range(6)}
    one, other = service(tmp_path, world(hosts)), service(tmp_path / "..", world(hosts))
    for _ in range(20):
        assert hosts_of(one, V6_DE) == hosts_of(other, V4_DE)


def test_both_families_share_one_plan_unless_a_host_is_single_family(tmp_path: Path) -> None:
    """One plan object serves IPv4 and IPv6 clients where every host reaches both (looked up
    under each family's key); a single-family host gives each family its own plan."""
    dual = service(tmp_path, world({f"h{n}": ("DE", IPV4 | IPV6) for n in range(4)}))
    split = service(tmp_path / "..", world({"h0": ("DE", IPV4), "h1": ("DE", IPV4 | IPV6),
                                            "h2": ("DE", IPV4 | IPV6)}))
    for svc in (dual, split):
        for ip in (V4_DE, V6_DE, V4_DE):
            hosts_of(svc, ip)
    views = [svc.inputs.index.views.get(DIRECTORY) for svc in (dual, split)]  # type: ignore
    shared, separate = (view.plans for view in views)  # type: ignore[union-attr]
    assert {key[2] for key in shared} == {0, IPV4, IPV6}
    assert shared[("DE", 1, IPV4)] is shared[("DE", 1, IPV6)] is shared[("DE", 1, 0)]
    # h0 is IPv4 only: IPv4 clients reach every host (the shared plan), IPv6 clients not
    assert set(separate) == {("DE", 1, 0), ("DE", 1, IPV4), ("DE", 1, IPV6)}
    assert separate[("DE", 1, IPV4)] is separate[("DE", 1, 0)]
    assert separate[("DE", 1, IPV4)] is not separate[("DE", 1, IPV6)]


def test_netblock_hosts_of_the_other_family_go_after_reachable_ones(tmp_path: Path) -> None:
    svc = service(tmp_path, world({"net": ("DE", IPV4), "de6": ("DE", IPV6),
                                   "de4": ("DE", IPV4)},
                                  netblocks={"net": "2001:db8:de::/56"}))
    for _ in range(10):
        six = hosts_of(svc, V6_DE)
        assert six[0] == "de6" and set(six[1:]) == {"net", "de4"}
        assert "Using preferred netblock" in svc.answer(
            Request("/mirrorlist", f"{RA}&ip={V6_DE}", None, "x")).body


def test_redirect_and_metalink_follow_the_family(tmp_path: Path) -> None:
    b = world({"de4": ("DE", IPV4), "de6": ("DE", IPV6)})
    from mirrormanager_mirrorlist import mirrormanager_pb2 as pb
    b.files(DIRECTORY + "/repodata", "repomd.xml",
            pb.FileDetailsType(TimeStamp=1_713_999_000, Size=10, SHA256="a" * 64))
    b.directory(DIRECTORY + "/repodata", [1, 2], subpath="updates/40/x86_64/repodata")
    svc = service(tmp_path, b)
    for _ in range(10):
        redirect = svc.answer(Request("/mirrorlist", f"{RA}&redirect=1&ip={V6_DE}", None, "x"))
        assert redirect.status == 302 and "de6.example" in (redirect.location or "")
        metalink = svc.answer(Request("/metalink", f"{RA}&ip={V6_DE}", None, "x")).body
        assert metalink.index("de6.example") < metalink.index("de4.example")


def test_an_ipv6_client_never_gets_an_ipv4_only_list(tmp_path: Path) -> None:
    """Random worlds: whenever some mirror of the directory serves IPv6, the first mirror an
    IPv6 client is given serves it (and likewise for IPv4)."""
    countries = ["DE", "US", "FR", "JP"]
    for seed in range(40):
        rng = random.Random(seed)
        hosts = {f"h{n}": (rng.choice(countries), rng.choice([IPV4, IPV4, IPV6, 3, None]))
                 for n in range(rng.randint(1, 12))}
        svc = service(tmp_path, world(hosts), minimum=rng.randint(1, 6), seed=seed)
        for ip, bit in ((V6_DE, IPV6), (V6_US, IPV6), (V4_DE, IPV4), (V4_US, IPV4),
                        ("2001:db8:99::1", IPV6)):
            served = {n for n, (_, f) in hosts.items() if f is None or f & bit}
            answer = hosts_of(svc, ip)
            if served:
                assert answer[0] in served, (seed, ip, hosts, answer)


def test_explain_names_the_family_and_the_global_reason(tmp_path: Path) -> None:
    import json

    svc = service(tmp_path, world({"de1": ("DE", IPV4), "de2": ("DE", IPV4),
                                   "us6": ("US", IPV6)}))
    answer = svc.answer(Request("/mirrorlist", f"{RA}&ip={V6_DE}&explain=1", None, "x"))
    doc = json.loads(answer.body)
    assert doc["client"]["family"] == "ipv6"
    assert doc["client"]["hosts_not_reaching_family"] == [1, 2]
    glob = next(t for t in doc["tiers"] if t["tier"] == "global")
    assert "address family" in glob["why"]
    assert [(o["name"], o["reaches_client_family"]) for o in doc["order"]][0] == (
        "us6.example", True)
    assert {o["name"] for o in doc["order"]} == {"us6.example", "de1.example", "de2.example"}
