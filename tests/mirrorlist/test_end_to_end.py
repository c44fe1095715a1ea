"""End to end, without HTTP: a database built through the import and bulk load (SQLite and
PostgreSQL), the cache written by the real writer, loaded by the server's Inputs, answered by
ListService.  Exact bodies; where a tier holds several hosts (weighted shuffle), the hosts of
each tier are compared as a set and the tier boundaries exactly.

Every question is asked twice, through the per-directory plans and through the general path,
with the same seed: both must give the same answer (docs/mirrorlist-server.md, "Same answers
either way")."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import attrs

import pytest
from e2e_data import (
    CACHE_TIME,
    EPEL,
    OS,
    OS_SUB,
    PUBDATE,
    REPODATA,
    REPOMD_MID,
    REPOMD_NEW,
    REPOMD_OLD,
    REPOMD_TIMES,
    SRC_SUB,
    UPD,
    UPD_REPODATA,
    UPD_SUB,
    digest,
    load_service,
    populate,
    write_cache,
    write_side_files,
)

from mirrormanager_mirrorlist import mirrormanager_pb2 as pb
from mirrormanager_mirrorlist.httpmessages import Answer, Request
from mirrormanager_mirrorlist.inputs import InputPaths

ML = "/mirrorlist"
RA = "repo=fedora-40&arch=x86_64"
HEAD = "# repo = fedora-40 arch = x86_64 "

#: the default (one per host) URL of each host for the fedora-40 x86_64 directory
BASES = {
    "de1": "http://de1.alpha.example/fedora",
    "de2": "https://de2.alpha.example/pub/fedora/linux",  # https is inserted before ftp
    "at1": "https://at1.beta.example/fedora",
    "se1": "http://se1.beta.example/fedora",
    "il1": "http://il1.beta.example/fedora",
    "us1": "http://us1.gamma.example/fedora",
    "us2": "http://us2.gamma.example/fedora",
    "us3": "http://us3.gamma.example/fedora",
    "ca1": "http://ca1.gamma.example/fedora",
    "jp1": "http://jp1.delta.example/fedora",
    "corp": "http://mirror.corp.example/fedora",
    "omega": "http://cache.omega.example/fedora",
}
#: public, active, up to date for fedora-40: the directory's Global list
GLOBAL = {"de1", "de2", "at1", "se1", "il1", "us1", "us2", "us3", "ca1", "jp1"}


def os_url(host: str, sub: str = OS_SUB) -> str:
    return f"{BASES[host]}/{sub}/"


def urls(*hosts: str, sub: str = OS_SUB) -> set[str]:
    return {os_url(h, sub) for h in hosts}


class Ask:
    """Asks the plan-path and the general-path services the same question."""

    def __init__(self, paths: InputPaths, minimum: int, seed: int = 1) -> None:
        self.planned = load_service(paths, minimum=minimum, seed=seed, use_plans=True)
        self.general = load_service(paths, minimum=minimum, seed=seed, use_plans=False)

    def __call__(self, query: str, *, path: str = ML, xff: str | None = None,
                 peer: str = "127.0.0.1") -> Answer:
        a = self.planned.answer(Request(path, query, xff, peer))
        b = self.general.answer(Request(path, query, xff, peer))
        assert a == b, (query, a, b)
        return a

    def body(self, query: str, **kwargs: object) -> str:
        answer = self(query, **kwargs)  # type: ignore[arg-type]
        assert (answer.status, answer.content_type) == (200, "text/plain"), answer
        return answer.body


def split(body: str, *sizes: int) -> tuple[str, list[set[str]]]:
    """The header line and the URL lines cut into tiers of ``sizes`` (the rest last)."""
    header, *lines = body.split("\n")
    assert lines[-1] == ""  # the body ends with a newline
    lines = lines[:-1]
    assert len(lines) == len(set(lines)), "a URL is listed twice"
    tiers, start = [], 0
    for size in sizes:
        tiers.append(set(lines[start:start + size]))
        start += size
    tiers.append(set(lines[start:]))
    return header, tiers


@attrs.frozen
class World:
    """The side files and cache written from the database, and services on them."""

    paths: InputPaths
    #: minimum 1: every tier shows alone
    ask: Ask
    #: minimum 5 (upstream's default): the global list below it
    ask5: Ask


@pytest.fixture
def world(store, tmp_path: Path) -> World:
    """The database (through the import and bulk load), the cache written from it by the real
    writer, and the server's side files."""
    populate(store)
    cache = write_cache(store, tmp_path / "mirrorlist_cache.proto")
    paths = write_side_files(tmp_path, cache)
    return World(paths, Ask(paths, minimum=1), Ask(paths, minimum=5))


Check = Callable[[World], None]


def run_checks(w: World, checks: list[Check]) -> None:
    """Run every check and report all failures at once.  (Building the PostgreSQL database
    costs about two seconds, so one database serves a group of checks.)"""
    failures = []
    for check in checks:
        try:
            check(w)
        except AssertionError as exc:
            failures.append(f"{check.__name__}: {exc}")
    if failures:
        pytest.fail(f"{len(failures)} of {len(checks)} checks failed:\n\n" + "\n\n".join(failures))


# -- the network tiers ----------------------------------------------------------------------


def check_host_netblocks_most_specific_first_reach_private_hosts(w: World) -> None:
    ask = w.ask
    # 10.1.2.0/24 (de1, public) > 10.1.0.0/16 (omega, private host) > 10.0.0.0/8 (corp,
    # private site); no GeoIP country, minimum 1 reached: nothing else
    assert ask.body(RA + "&ip=10.1.2.3") == (
        f"{HEAD}Using preferred netblock \n"
        + os_url("de1") + "\n" + os_url("omega") + "\n" + os_url("corp") + "\n"
    )
    assert ask.body(RA + "&ip=10.200.0.1") == (
        f"{HEAD}Using preferred netblock \n{os_url('corp')}\n"
    )


def check_netblock_0_turns_off_netblocks_and_asn(w: World) -> None:
    ask = w.ask
    header, (rest,) = split(ask.body(RA + "&ip=10.1.2.3&netblock=0"))
    # an N/A client with nothing found: the global list, without se1 (Sweden only)
    assert header == f"{HEAD}country = global "
    assert rest == urls(*GLOBAL - {"se1"})


def check_peer_asn_tier(w: World) -> None:
    ask = w.ask
    # 198.18.0.0/15 is AS 64500 in global_netblocks.txt; jp1 serves its AS; no GeoIP country
    assert ask.body(RA + "&ip=198.18.0.1") == f"{HEAD}Using ASN 64500 \n{os_url('jp1')}\n"


def check_asn_reaches_a_private_host_then_geoip_and_continent(w: World) -> None:
    ask = w.ask
    # 192.0.2.128/25 is AS 64501 (omega's, a private host); GeoIP says DE; then the rest of
    # Europe, IL included through the country_continent_redirect, in the CSV's order
    header, (asn, de, europe) = split(ask.body(RA + "&ip=192.0.2.200"), 1, 2)
    assert header == (
        f"{HEAD}Using ASN 64501 country = DE country = AT country = IL country = SE "
    )
    assert asn == urls("omega")
    assert de == urls("de1", "de2")
    # the allowed-country rule does not apply to the GeoIP continent tier (upstream): se1 stays
    assert europe == urls("at1", "il1", "se1")


def check_asn_over_ipv6(w: World) -> None:
    ask = w.ask
    header, (asn, at, europe) = split(ask.body(RA + "&ip=2001:db8:ffff::1"), 1, 1)
    assert header == (
        f"{HEAD}Using ASN 64501 country = AT country = DE country = IL country = SE "
    )
    assert (asn, at, europe) == (urls("omega"), urls("at1"), urls("de1", "de2", "il1", "se1"))


# -- country tiers --------------------------------------------------------------------------


def check_requested_country_keeps_spelling_and_never_adds_global(w: World) -> None:
    ask5 = w.ask5
    # two hosts, below the minimum of 5, but country= never falls back to global
    header, (de,) = split(ask5.body(RA + "&country=dE&ip=198.51.100.7"))
    assert header == f"{HEAD}country = dE "
    assert de == urls("de1", "de2")  # not the private corp host, not the US of the client
    assert ask5.body(RA + "&country=AT") == f"{HEAD}country = AT \n{os_url('at1')}\n"


def check_requested_country_without_hosts_uses_its_continent_filtered(w: World) -> None:
    ask = w.ask
    # no host in France: the other European countries, with the allowed-country rule for the
    # (US) client: se1 is dropped, its header fragment stays (upstream)
    header, (europe,) = split(ask.body(RA + "&country=FR&ip=198.51.100.7"))
    assert header == f"{HEAD}country = AT country = DE country = IL country = SE "
    assert europe == urls("at1", "de1", "de2", "il1")


def check_allowed_client_countries(w: World) -> None:
    ask = w.ask
    # se1 only serves clients in Sweden
    assert ask.body(RA + "&country=se&ip=198.51.100.7") == f"{HEAD}country = se \n"
    assert ask.body(RA + "&country=se&ip=203.0.113.9") == (
        f"{HEAD}country = se \n{os_url('se1')}\n"
    )


def check_geoip_country(w: World) -> None:
    ask = w.ask
    # 3fff::/20 is JP in the GeoIP database; nobody else in Asia
    assert ask.body(RA + "&ip=3fff::1") == f"{HEAD}country = JP \n{os_url('jp1')}\n"


def check_netblock_country_overrides_geoip(w: World) -> None:
    ask = w.ask
    # 192.0.2.0/24 is DE in GeoIP, but the netblock_country table says 192.0.2.0/26 is JP
    assert ask.body(RA + "&ip=192.0.2.10") == f"{HEAD}country = JP \n{os_url('jp1')}\n"
    assert ask.body(RA + "&ip=172.16.5.5") == f"{HEAD}country = JP \n{os_url('jp1')}\n"
    # X-Forwarded-For: the last element is the client
    assert ask.body(RA, xff="10.9.9.9, 172.16.5.5") == f"{HEAD}country = JP \n{os_url('jp1')}\n"


def check_continent_fallback(w: World) -> None:
    ask = w.ask
    # 100.64.0.0/10 is FR: no French host, so the rest of Europe (GeoIP continent tier)
    header, (europe,) = split(ask.body(RA + "&ip=100.64.1.1"))
    assert header == f"{HEAD}country = AT country = DE country = IL country = SE "
    assert europe == urls("at1", "de1", "de2", "il1", "se1")


def check_global_only_below_the_minimum(w: World) -> None:
    world = w.paths
    ask5 = w.ask5
    # US client: 3 US hosts + CA (continent) = 4 < 5: the global list follows, without se1
    header, (us, ca, rest) = split(ask5.body(RA + "&ip=198.51.100.7"), 3, 1)
    assert header == f"{HEAD}country = US country = CA country = global "
    assert (us, ca) == (urls("us1", "us2", "us3"), urls("ca1"))
    assert rest == urls("de1", "de2", "at1", "il1", "jp1")
    # Swedish client: se1 + 4 others in Europe = 5, not below 5: no global list
    header, (se, europe) = split(ask5.body(RA + "&ip=203.0.113.9"), 1)
    assert header == f"{HEAD}country = SE country = AT country = DE country = IL "
    assert (se, europe) == (urls("se1"), urls("at1", "de1", "de2", "il1"))
    # with a minimum of 6 it is below: the global list adds the rest of the world
    header, (se, europe, rest) = split(Ask(world, minimum=6).body(RA + "&ip=203.0.113.9"), 1, 4)
    assert header == f"{HEAD}country = SE country = AT country = DE country = IL country = global "
    assert rest == urls("us1", "us2", "us3", "ca1", "jp1")


def check_country_global(w: World) -> None:
    ask = w.ask
    header, (everyone,) = split(ask.body(RA + "&country=global"))
    assert header == f"{HEAD}country = global "
    # never the private hosts, the inactive one, or se1 for a non-Swedish client
    assert everyone == urls(*GLOBAL - {"se1"})
    header, (everyone,) = split(ask.body(RA + "&country=GLOBAL&ip=203.0.113.9"))
    assert header == f"{HEAD}country = global "
    assert everyone == urls(*GLOBAL)


def check_private_and_inactive_hosts_only_where_they_belong(w: World) -> None:
    ask = w.ask
    ask5 = w.ask5
    public_answers = [
        ask5.body(RA + f"&ip={ip}") for ip in ("198.51.100.7", "203.0.113.9", "100.64.1.1")
    ] + [ask.body(RA + f"&country={c}") for c in ("global", "DE", "NL", "US")]
    for body in public_answers:
        for hidden in ("mirror.corp.example", "cache.omega.example", "usoff.gamma.example"):
            assert hidden not in body


def check_up2date_states(w: World) -> None:
    ask = w.ask
    # updates: us1 up to date, us2 stale, us3 always up to date (no host_category_dir row)
    assert split(ask.body("repo=updates-released-f40&arch=x86_64&ip=198.51.100.7")) == (
        "# repo = updates-released-f40 arch = x86_64 country = US ",
        [urls("us1", "us3", sub=UPD_SUB)],
    )
    header, (us,) = split(ask.body(f"path=/{UPD}//&country=US"))
    assert (header, us) == (f"# path = {UPD} country = US ", urls("us1", "us3", sub=UPD_SUB))


# -- repositories, paths, protocol, redirect, time ------------------------------------------


def check_repository_redirect_and_source_arch(w: World) -> None:
    ask = w.ask
    assert ask.body("repo=f40-old&arch=x86_64&country=AT") == (
        f"{HEAD}country = AT \n{os_url('at1')}\n"
    )
    # "source" in the repo name forces arch=source
    assert ask.body("repo=fedora-source-40&arch=x86_64&country=AT") == (
        f"# repo = fedora-source-40 arch = source country = AT \n{os_url('at1', SRC_SUB)}\n"
    )
    # de1 is stale there and de2 has no row: DE has nobody, so its continent answers
    assert ask.body("repo=fedora-source-40&arch=x86_64&country=DE") == (
        f"# repo = fedora-source-40 arch = source country = AT \n{os_url('at1', SRC_SUB)}\n"
    )


def check_path_requests(w: World) -> None:
    ask = w.ask
    assert ask.body(f"path={OS}&country=AT") == f"# path = {OS} country = AT \n{os_url('at1')}\n"
    assert ask.body(f"path={REPODATA}/repomd.xml&country=AT") == (
        f"# path = {REPODATA}/repomd.xml country = AT \n{os_url('at1')}repodata/repomd.xml\n"
    )
    assert ask.body(f"path={EPEL}&country=DE") == (
        f"# path = {EPEL} country = DE \nhttp://de1.alpha.example/epel/9/Everything/x86_64/\n"
    )


def check_protocol(w: World) -> None:
    ask = w.ask
    # rsync: de2 has none and drops out
    assert ask.body(RA + "&country=DE&protocol=rsync") == (
        f"{HEAD}country = DE protocol = rsync\n"
        f"rsync://de1.alpha.example/fedora/{OS_SUB}/\n"
    )
    # two protocols: up to two URLs per host, in URL order; de1 has neither and drops out
    assert ask.body(RA + "&country=DE&protocol=https,ftp") == (
        f"{HEAD}country = DE protocol = https,ftp\n"
        f"https://de2.alpha.example/pub/fedora/linux/{OS_SUB}/\n"
        f"ftp://de2.alpha.example/pub/fedora/linux/{OS_SUB}/\n"
    )
    # a protocol nobody has: the untrimmed list, every URL of every host
    header, (everything,) = split(ask.body(RA + "&country=DE&protocol=gopher"))
    assert header == f"{HEAD}country = DE protocol = gopher"
    assert everything == {
        f"http://de1.alpha.example/fedora/{OS_SUB}/",
        f"rsync://de1.alpha.example/fedora/{OS_SUB}/",
        f"ftp://de2.alpha.example/pub/fedora/linux/{OS_SUB}/",
        f"https://de2.alpha.example/pub/fedora/linux/{OS_SUB}/",
    }
    # private URLs never appear
    assert "internal" not in ask.body(RA + "&ip=10.1.2.3&protocol=rsync,http,https,ftp")


def check_redirect(w: World) -> None:
    world = w.paths
    ask = Ask(world, minimum=1)
    answer = ask(RA + "&country=AT&redirect")
    assert (answer.status, answer.content_type, answer.body, answer.location) == (
        302, "text/plain", "", os_url("at1")
    )
    # redirects only go to http(s): de2 is reached over https, never its ftp URL
    seen = {ask(RA + "&country=DE&redirect").location for _ in range(200)}
    assert seen == {os_url("de1"), f"https://de2.alpha.example/pub/fedora/linux/{OS_SUB}/"}
    assert ask(RA + "&ip=10.1.2.3&redirect").location == os_url("de1")


def check_time_line_and_generation(w: World) -> None:
    ask = w.ask
    answer = ask(RA + "&country=AT&time")
    assert answer.body == (
        f"{HEAD}country = AT \n# database creation time: {CACHE_TIME}\n{os_url('at1')}\n"
    )
    assert answer.generation is not None and answer.generation.startswith(f"{CACHE_TIME}-")


# -- error answers --------------------------------------------------------------------------

LISTING = (
    "# following repositories are available:\n"
    "# repo=epel-9&arch=x86_64\n"
    "# repo=fedora-40&arch=x86_64\n"
    "# repo=fedora-source-40&arch=source\n"
    "# repo=orphan-1&arch=x86_64\n"
    "# repo=updates-released-f40&arch=x86_64\n"
)
METALINK_OPEN = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<metalink version="3.0" xmlns="http://www.metalinker.org/" type="dynamic" '
    f'pubdate="{PUBDATE}" generator="mirrormanager" '
    'xmlns:mm0="http://fedorahosted.org/mirrormanager">\n'
)


def failure(text: str) -> str:
    return f"{METALINK_OPEN}<!-- {text}\n-->\n</metalink>\n"


def status(answer: Answer) -> tuple[int, str | None, str]:
    return answer.status, answer.content_type, answer.body


def check_error_answers(w: World) -> None:
    ask = w.ask
    cases = {
        ("/", ""): (404, None, "We don't serve their kind here!"),
        ("/mirrorlist/", RA): (404, None, "We don't serve their kind here!"),
        (ML, "arch=x86_64"): (200, None, "# either path=, or repo= and arch= must be specified"),
        (ML, "path=pub/no/such/dir/file"): (404, None, "error: invalid path"),
        (ML, "repo=epel-9&arch=x86_64"): (200, None, "repo disabled"),
        # a redirect to a disabled repository
        (ML, "repo=epel-9-next&arch=x86_64"): (200, None, "repo disabled"),
        # the repository's directory is in no category: no MirrorListCache entry
        (ML, "repo=orphan-1&arch=x86_64"): (
            500, None, "mirrorlist cache index out of range, you broke it!"),
        (ML, "repo=unversioned&arch=x86_64"): (
            404, None, "# repo = unversioned arch = x86_64 error: invalid repo or arch\n" + LISTING),
        (ML, "repo=fedora-40&arch=ppc64le"): (
            404, None, "# repo = fedora-40 arch = ppc64le error: invalid repo or arch\n" + LISTING),
        (ML, RA + "&ip=10.1.2.300"): (500, None, "Cannot parse client IP address. Aborting."),
    }
    for (path, query), expected in cases.items():
        assert status(ask(query, path=path)) == expected, (path, query)
    assert status(ask(RA, xff="10.0.0.1,198.51.100.7")) == (
        500, None, "Cannot parse client IP address. Aborting.")


def check_metalink_error_answers(w: World) -> None:
    ask = w.ask
    xml = "application/metalink+xml"
    cases = {
        "arch=x86_64": (200, xml, failure("# either path=, or repo= and arch= must be specified")),
        "repo=epel-9&arch=x86_64": (200, xml, failure("repo disabled")),
        "repo=nope&arch=x86_64": (
            404, xml, failure("# repo = nope arch = x86_64 error: invalid repo or arch\n" + LISTING)),
        # no file_detail for the updates' repodata
        "repo=updates-released-f40&arch=x86_64": (
            404, xml, failure(f"{UPD_REPODATA}/repomd.xml not found or has not metalink")),
        f"path={REPODATA}/nothere.xml": (
            404, xml, failure(f"{REPODATA}/nothere.xml not found or has not metalink")),
        f"path={OS}": (404, xml, failure(f"{OS}/ not found or has not metalink")),
        "path=pub/nothing/here": (404, xml, failure("error: invalid path")),
        "repo=orphan-1&arch=x86_64": (
            500, None, "mirrorlist cache index out of range, you broke it!"),
        RA + "&ip=nonsense": (500, xml, failure("Cannot parse client IP address. Aborting.")),
    }
    for query, expected in cases.items():
        assert status(ask(query, path="/metalink")) == expected, query


# -- metalink -------------------------------------------------------------------------------

REPOMD_HEAD = (
    ' <files>\n'
    '  <file name="repomd.xml">\n'
    f"   <mm0:timestamp>{REPOMD_TIMES[0]}</mm0:timestamp>\n"
    f"   <size>{len(REPOMD_NEW)}</size>\n"
    "   <verification>\n"
    f'    <hash type="md5">{digest("md5", REPOMD_NEW)}</hash>\n'
    f'    <hash type="sha1">{digest("sha1", REPOMD_NEW)}</hash>\n'
    f'    <hash type="sha256">{digest("sha256", REPOMD_NEW)}</hash>\n'
    f'    <hash type="sha512">{digest("sha512", REPOMD_NEW)}</hash>\n'
    "   </verification>\n"
    "   <mm0:alternates>\n"
    "    <mm0:alternate>\n"
    f"      <mm0:timestamp>{REPOMD_TIMES[1]}</mm0:timestamp>\n"
    f"      <size>{len(REPOMD_MID)}</size>\n"
    "      <verification>\n"
    f'       <hash type="sha256">{digest("sha256", REPOMD_MID)}</hash>\n'
    "      </verification>\n"
    "    </mm0:alternate>\n"
    "    <mm0:alternate>\n"
    f"      <mm0:timestamp>{REPOMD_TIMES[2]}</mm0:timestamp>\n"
    f"      <size>{len(REPOMD_OLD)}</size>\n"
    "      <verification>\n"
    f'       <hash type="sha1">{digest("sha1", REPOMD_OLD)}</hash>\n'
    f'       <hash type="sha256">{digest("sha256", REPOMD_OLD)}</hash>\n'
    "      </verification>\n"
    "    </mm0:alternate>\n"
    "   </mm0:alternates>\n"
    '   <resources maxconnections="1">\n'
)
METALINK_TAIL = "   </resources>\n  </file>\n </files>\n</metalink>\n"
REPOMD_PATH = f"{OS_SUB}/repodata/repomd.xml"


def url_line(url: str, location: str, preference: int, private: bool = False) -> str:
    scheme = url.split(":", 1)[0]
    flag = ' mm0:private="True"' if private else ""
    return (f'    <url protocol="{scheme}" type="{scheme}" location="{location}" '
            f'preference="{preference}"{flag}>{url}</url>\n')


def check_metalink_document(w: World) -> None:
    ask = w.ask
    answer = ask(RA + "&ip=10.1.2.3", path="/metalink")
    assert (answer.status, answer.content_type) == (200, "application/metalink+xml")
    assert answer.body == (
        METALINK_OPEN + REPOMD_HEAD
        # every URL of a host (not the private rsync one), one preference per host, most
        # specific netblock first; private hosts flagged
        + url_line(f"http://de1.alpha.example/fedora/{REPOMD_PATH}", "DE", 100)
        + url_line(f"rsync://de1.alpha.example/fedora/{REPOMD_PATH}", "DE", 100)
        + url_line(f"http://cache.omega.example/fedora/{REPOMD_PATH}", "NL", 99, private=True)
        + url_line(f"http://mirror.corp.example/fedora/{REPOMD_PATH}", "DE", 98, private=True)
        + METALINK_TAIL
    )
    # the same document for the file asked by path
    assert ask(f"path={REPODATA}/repomd.xml&ip=10.1.2.3", path="/metalink").body == answer.body
    # protocol= restricts the URLs (and the hosts left get the top preferences)
    assert ask(RA + "&ip=10.1.2.3&protocol=rsync", path="/metalink").body == (
        METALINK_OPEN + REPOMD_HEAD
        + url_line(f"rsync://de1.alpha.example/fedora/{REPOMD_PATH}", "DE", 100)
        + METALINK_TAIL
    )


def check_metalink_preferences_follow_the_tiers(w: World) -> None:
    ask = w.ask
    body = ask(RA + "&ip=192.0.2.200", path="/metalink").body
    assert body.startswith(METALINK_OPEN + REPOMD_HEAD) and body.endswith(METALINK_TAIL)
    lines = body[len(METALINK_OPEN + REPOMD_HEAD):-len(METALINK_TAIL)].splitlines(keepends=True)
    # omega through its AS (private), then DE by GeoIP, then the rest of Europe
    assert lines[0] == url_line(f"http://cache.omega.example/fedora/{REPOMD_PATH}", "NL", 100,
                                private=True)
    preferences = [int(line.split('preference="')[1].split('"')[0]) for line in lines]
    assert preferences == sorted(preferences, reverse=True)
    by_host = {line.split("://")[1].split("/")[0]: p for line, p in zip(lines, preferences)}
    assert {by_host["de1.alpha.example"], by_host["de2.alpha.example"]} == {99, 98}
    assert {by_host[h] for h in ("at1.beta.example", "il1.beta.example", "se1.beta.example")} == {
        97, 96, 95}
    assert len(lines) == 8  # de1 and de2 have two URLs each
    assert sum('mm0:private="True"' in line for line in lines) == 1


def check_metalink_of_another_file_has_no_alternates(w: World) -> None:
    ask = w.ask
    body = ask(f"path={REPODATA}/primary.xml.gz&country=AT", path="/metalink").body
    assert body == (
        METALINK_OPEN
        + ' <files>\n  <file name="primary.xml.gz">\n'
        "   <mm0:timestamp>1714000300</mm0:timestamp>\n   <size>123</size>\n"
        f'   <verification>\n    <hash type="sha256">{"f" * 64}</hash>\n   </verification>\n'
        '   <resources maxconnections="1">\n'
        + url_line(f"https://at1.beta.example/fedora/{OS_SUB}/repodata/primary.xml.gz", "AT", 100)
        + METALINK_TAIL
    )


# -- the weighted shuffle -------------------------------------------------------------------

US_WEIGHTS = {"us1": 700, "us2": 200, "us3": 100}
CHI2_DF5_P001 = 20.515  # chi-square critical value, 5 degrees of freedom, p = 0.001


def permutation_probability(order: tuple[str, ...], weights: dict[str, int]) -> float:
    """Successive weighted draws without replacement."""
    left = sum(weights.values())
    p = 1.0
    for host in order:
        p *= weights[host] / left
        left -= weights[host]
    return p


def chi_square(counts: Counter[tuple[str, ...]], probabilities: dict[tuple[str, ...], float],
               trials: int) -> float:
    return sum((counts[k] - trials * p) ** 2 / (trials * p) for k, p in probabilities.items())


def test_weighted_shuffle_distribution(world: World) -> None:
    """The order of the three US hosts (bandwidth 700:200:100; the GeoIP tier of a US client,
    the requested-country tier of country=US) follows successive weighted draws without
    replacement: a chi-square test over the 6 orders with a fixed seed, through the plans and
    through the general path."""
    host_of = {os_url(h): h for h in US_WEIGHTS}
    orders = list(itertools.permutations(US_WEIGHTS))
    expected = {o: permutation_probability(o, US_WEIGHTS) for o in orders}
    uniform = {o: 1 / 6 for o in orders}
    trials = 3000
    for use_plans in (True, False):
        service = load_service(world.paths, minimum=1, seed=20240424, use_plans=use_plans)
        for query in (RA + "&ip=198.51.100.7", RA + "&country=US"):
            counts: Counter[tuple[str, ...]] = Counter()
            for _ in range(trials):
                lines = service.answer(Request(ML, query, None, "127.0.0.1")).body.split("\n")[1:4]
                counts[tuple(host_of[line] for line in lines)] += 1
            assert sum(counts.values()) == trials
            where = (use_plans, query, counts)
            assert chi_square(counts, expected, trials) < CHI2_DF5_P001, where
            # the test has power: a uniform shuffle would be rejected by far
            assert chi_square(counts, uniform, trials) > 50 * CHI2_DF5_P001, where
            # and the first place goes 70/20/10
            first = Counter(order[0] for order in counts.elements())
            assert math.isclose(first["us1"] / trials, 0.7, abs_tol=0.03), where


# -- the file itself ------------------------------------------------------------------------


def check_cache_written_from_the_database(w: World) -> None:
    """What the tiers above rely on, read back from the file the writer produced."""
    world = w.paths
    m = pb.MirrorList.FromString(world.cache.read_bytes())
    assert m.Time == CACHE_TIME
    directories = {e.directory: e for e in m.MirrorListCache}
    os_entry = directories[OS]
    assert os_entry.Subpath == OS_SUB
    countries = {e.key: len(e.value) for e in os_entry.ByCountry}
    assert countries == {"AT": 1, "CA": 1, "DE": 2, "IL": 1, "JP": 1, "SE": 1, "US": 3}
    assert len(os_entry.Global) == len(GLOBAL)
    assert len(os_entry.ByHostId) == len(GLOBAL) + 2  # + the two private hosts
    assert {(e.key, e.value) for e in m.RepositoryRedirectCache} == {
        ("f40-old", "fedora-40"), ("epel-9-next", "epel-9")}
    assert [(e.key, e.value) for e in m.DisabledRepositoryCache] == [("epel-9", True)]
    assert [(e.key, e.value) for e in m.CountryContinentRedirectCache] == [("IL", "EU")]
    assert sorted(e.key for e in m.HostNetblockCache) == [
        "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24"]
    assert sorted(e.key for e in m.HostAsnCache) == [64500, 64501]


@pytest.mark.postgres
def test_sqlite_and_postgresql_give_the_same_cache(pg_database_url: str, tmp_path: Path) -> None:
    """The same import and bulk load on both backends give byte-identical caches, so the
    parametrized tests above check one and the same file twice."""
    from mirrormanager_pg_store.store import SqlStore

    files = []
    for name, url in (("sqlite", f"sqlite:///{tmp_path / 'mm.db'}"), ("pg", pg_database_url)):
        store = SqlStore(url)
        try:
            store.upgrade()
            populate(store)
            files.append(write_cache(store, tmp_path / f"{name}.proto").read_bytes())
        finally:
            store.close()
    assert files[0] == files[1]


# -- the groups -----------------------------------------------------------------------------


def test_selection_tiers(world: World) -> None:
    run_checks(world, [
        check_cache_written_from_the_database,
        check_host_netblocks_most_specific_first_reach_private_hosts,
        check_netblock_0_turns_off_netblocks_and_asn,
        check_peer_asn_tier,
        check_asn_reaches_a_private_host_then_geoip_and_continent,
        check_asn_over_ipv6,
        check_requested_country_keeps_spelling_and_never_adds_global,
        check_requested_country_without_hosts_uses_its_continent_filtered,
        check_allowed_client_countries,
        check_geoip_country,
        check_netblock_country_overrides_geoip,
        check_continent_fallback,
        check_global_only_below_the_minimum,
        check_country_global,
        check_private_and_inactive_hosts_only_where_they_belong,
        check_up2date_states,
    ])


def test_requests_and_error_answers(world: World) -> None:
    run_checks(world, [
        check_repository_redirect_and_source_arch,
        check_path_requests,
        check_protocol,
        check_redirect,
        check_time_line_and_generation,
        check_error_answers,
        check_metalink_error_answers,
    ])


def test_metalink(world: World) -> None:
    run_checks(world, [
        check_metalink_document,
        check_metalink_preferences_follow_the_tiers,
        check_metalink_of_another_file_has_no_alternates,
    ])
