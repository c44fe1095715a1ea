"""Selection tiers, error answers and documents of the list server, with exact bodies.

The service is called directly (no HTTP); test_server_http.py covers the wire."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

import pytest
from listserver_data import (
    OS,
    REPODATA,
    SHA256_NEW,
    SHA256_OLD,
    SUB,
    service,
)

from mirrormanager_mirrorlist.app import ListService
from mirrormanager_mirrorlist.httpmessages import Request
from mirrormanager_mirrorlist.selection import weighted_shuffle

ML = "/mirrorlist"
RA = "repo=fedora-40&arch=x86_64"
HEAD = "# repo = fedora-40 arch = x86_64 "


def u(host: str, scheme: str = "http") -> str:
    return f"{scheme}://{host}.example/pub/{SUB}/"


@pytest.fixture
def svc(tmp_path: Path) -> ListService:
    return service(tmp_path, minimum=1)


@pytest.fixture
def svc5(tmp_path: Path) -> ListService:
    return service(tmp_path, minimum=5)


def get(svc: ListService, query: str, *, path: str = ML, xff: str | None = None,
        peer: str = "127.0.0.1") -> tuple[int, str | None, str]:
    answer = svc.answer(Request(path, query, xff, peer))
    return answer.status, answer.content_type, answer.body


# -- tiers ----------------------------------------------------------------------------------


def test_netblocks_most_specific_first(svc: ListService) -> None:
    assert get(svc, RA + "&ip=10.1.2.3") == (
        200, "text/plain",
        f"{HEAD}Using preferred netblock \n{u('private16')}\n{u('private')}\n",
    )


def test_netblock_0_disables_netblocks_and_asn(svc5: ListService) -> None:
    status, _, body = get(svc5, RA + "&ip=10.1.2.3&netblock=0")
    assert body.splitlines()[0] == f"{HEAD}country = global "
    assert "private" not in body


def test_asn_tier(svc: ListService) -> None:
    assert get(svc, RA + "&ip=198.18.0.1")[2] == f"{HEAD}Using ASN 64500 \n{u('jp')}\n"


def test_non_numeric_asn_matches_nothing(svc: ListService) -> None:
    body = get(svc, RA + "&ip=198.19.0.1")[2]
    assert "ASN" not in body


def test_requested_country_keeps_spelling_and_skips_global(svc5: ListService) -> None:
    # only one host, below minimum 5, but country= never adds the global list
    assert get(svc5, RA + "&country=us")[2] == f"{HEAD}country = us \n{u('us')}\n"


def test_requested_country_without_hosts_uses_its_continent(svc5: ListService) -> None:
    status, _, body = get(svc5, RA + "&country=FR")
    # SE's host only serves clients in SE: dropped for this (N/A) client, header stays
    assert body in {
        f"{HEAD}country = AT country = DE country = SE \n{u('at', 'https')}\n{u('de')}\n",
        f"{HEAD}country = AT country = DE country = SE \n{u('de')}\n{u('at', 'https')}\n",
    }


def test_country_global(svc: ListService) -> None:
    body = get(svc, RA + "&country=global")[2]
    lines = body.splitlines()
    assert lines[0] == f"{HEAD}country = global "
    assert sorted(lines[1:]) == sorted([u("de"), u("at", "https"), u("us"), u("jp")])


def test_geoip_country_then_continent(svc: ListService) -> None:
    assert get(svc, RA + "&ip=198.51.100.7")[2] == f"{HEAD}country = US \n{u('us')}\n"


def test_geoip_of_ipv4_mapped_address(svc: ListService) -> None:
    assert get(svc, RA + "&ip=::ffff:198.51.100.7")[2] == f"{HEAD}country = US \n{u('us')}\n"


def test_netblock_country_override_beats_geoip(svc: ListService) -> None:
    assert get(svc, RA + "&ip=172.16.5.5")[2] == f"{HEAD}country = JP \n{u('jp')}\n"


def test_global_below_minimum_with_allowed_country(svc5: ListService) -> None:
    body = get(svc5, RA + "&ip=203.0.113.9")[2]
    lines = body.splitlines()
    assert lines[0] == f"{HEAD}country = SE country = AT country = DE country = global "
    assert lines[1] == u("se", "https")  # the GeoIP tier comes first
    assert sorted(lines[2:4]) == sorted([u("at", "https"), u("de")])  # then the continent
    assert sorted(lines[4:]) == sorted([u("us"), u("jp")])  # then global, de-duplicated


def test_allowed_country_filters_global_for_other_clients(svc5: ListService) -> None:
    body = get(svc5, RA + "&ip=198.51.100.7")[2]
    assert "se.example" not in body
    assert body.splitlines()[0] == f"{HEAD}country = US country = global "


# -- protocol, redirect, time, headers ------------------------------------------------------


def test_protocol_rsync(svc: ListService) -> None:
    assert get(svc, RA + "&country=de&protocol=rsync")[2] == (
        f"{HEAD}country = de protocol = rsync\n{u('de', 'rsync')}\n"
    )


def test_protocol_matching_nothing_returns_every_url(svc: ListService) -> None:
    assert get(svc, RA + "&country=de&protocol=foo")[2] == (
        f"{HEAD}country = de protocol = foo\n{u('de')}\n{u('de', 'rsync')}\n"
    )


def test_default_trim_falls_back_when_no_host_has_http(svc: ListService) -> None:
    assert get(svc, "path=pub/alt/rsync-only&country=BR")[2] == (
        "# path = pub/alt/rsync-only country = BR \nrsync://only-rsync.example/pub/alt/rsync-only/\n"
    )


def test_redirect(svc: ListService) -> None:
    answer = svc.answer(Request(ML, RA + "&country=us&redirect", None, "127.0.0.1"))
    assert (answer.status, answer.location, answer.body) == (302, u("us"), "")


def test_redirect_without_http_is_404(svc: ListService) -> None:
    answer = svc.answer(Request(ML, "path=pub/alt/rsync-only&country=BR&redirect", None, "1.1.1.1"))
    assert (answer.status, answer.content_type, answer.body) == (404, "text/plain", "")


def test_time_line(svc: ListService) -> None:
    assert get(svc, RA + "&country=us&time")[2] == (
        f"{HEAD}country = us \n# database creation time: 1714000000\n{u('us')}\n"
    )


def test_repository_redirect_and_source_arch(svc: ListService) -> None:
    assert get(svc, "repo=fedora-old&arch=x86_64&country=us")[2].startswith(HEAD)
    assert get(svc, "repo=fedora-source-40&arch=x86_64&country=us")[2].startswith(
        "# repo = fedora-source-40 arch = source "
    )


def test_x_forwarded_for_last_element(svc: ListService) -> None:
    body = get(svc, RA, xff="10.1.2.3, 198.51.100.7")[2]
    assert body == f"{HEAD}country = US \n{u('us')}\n"


def test_path_directory_and_file(svc: ListService) -> None:
    assert get(svc, f"path=/{OS}//&country=us")[2] == (
        f"# path = {OS} country = us \n{u('us')}\n"
    )
    assert get(svc, f"path={REPODATA}/repomd.xml&country=us")[2] == (
        f"# path = {REPODATA}/repomd.xml country = us \n{u('us')}repodata/repomd.xml\n"
    )


# -- error answers --------------------------------------------------------------------------


def test_error_answers(svc: ListService) -> None:
    assert get(svc, "", path="/") == (404, None, "We don't serve their kind here!")
    assert get(svc, RA, path="/mirrorlist/") == (404, None, "We don't serve their kind here!")
    assert get(svc, "arch=x86_64") == (
        200, None, "# either path=, or repo= and arch= must be specified"
    )
    assert get(svc, "path=no/such/dir/file") == (404, None, "error: invalid path")
    assert get(svc, "repo=fedora-dead&arch=x86_64") == (200, None, "repo disabled")
    assert get(svc, "repo=broken&arch=x86_64") == (
        500, None, "mirrorlist cache index out of range, you broke it!"
    )
    assert get(svc, RA + "&ip=300.1.1.1") == (
        500, None, "Cannot parse client IP address. Aborting."
    )
    assert get(svc, RA, xff="10.0.0.1,198.51.100.7") == (
        500, None, "Cannot parse client IP address. Aborting."
    )


def test_invalid_repo_lists_repositories(svc: ListService) -> None:
    assert get(svc, "repo=nope&arch=x86_64") == (
        404,
        None,
        "# repo = nope arch = x86_64 error: invalid repo or arch\n"
        "# following repositories are available:\n"
        "# repo=broken&arch=x86_64\n"
        "# repo=fedora-40&arch=x86_64\n"
        "# repo=fedora-dead&arch=x86_64\n"
        "# repo=fedora-source-40&arch=source\n"
        "# repo=updates-40&arch=x86_64\n",
    )


METALINK_OPEN = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<metalink version="3.0" xmlns="http://www.metalinker.org/" type="dynamic" '
    'pubdate="Wed, 24 Apr 2024 23:06:40 GMT" generator="mirrormanager" '
    'xmlns:mm0="http://fedorahosted.org/mirrormanager">\n'
)


def test_metalink_document(svc: ListService) -> None:
    status, ctype, body = get(svc, RA + "&ip=10.1.2.3", path="/metalink")
    repomd = f"{SUB}/repodata/repomd.xml"
    assert (status, ctype) == (200, "application/metalink+xml")
    assert body == (
        METALINK_OPEN
        + " <files>\n"
        '  <file name="repomd.xml">\n'
        "   <mm0:timestamp>1713999000</mm0:timestamp>\n"
        "   <size>4057</size>\n"
        "   <verification>\n"
        f'    <hash type="md5">{"m" * 32}</hash>\n'
        f'    <hash type="sha256">{SHA256_NEW}</hash>\n'
        f'    <hash type="sha512">{"s" * 128}</hash>\n'
        "   </verification>\n"
        "   <mm0:alternates>\n"
        "    <mm0:alternate>\n"
        "      <mm0:timestamp>1713900000</mm0:timestamp>\n"
        "      <size>4000</size>\n"
        "      <verification>\n"
        f'       <hash type="sha256">{SHA256_OLD}</hash>\n'
        "      </verification>\n"
        "    </mm0:alternate>\n"
        "   </mm0:alternates>\n"
        '   <resources maxconnections="1">\n'
        '    <url protocol="http" type="http" location="" preference="100" mm0:private="True">'
        f"http://private16.example/pub/{repomd}</url>\n"
        '    <url protocol="http" type="http" location="DE" preference="99" mm0:private="True">'
        f"http://private.example/pub/{repomd}</url>\n"
        "   </resources>\n"
        "  </file>\n"
        " </files>\n"
        "</metalink>\n"
    )


def test_metalink_lists_every_url_of_a_host(svc: ListService) -> None:
    body = get(svc, RA + "&country=de", path="/metalink")[2]
    assert (
        '    <url protocol="http" type="http" location="DE" preference="100">'
        f"http://de.example/pub/{SUB}/repodata/repomd.xml</url>\n"
        '    <url protocol="rsync" type="rsync" location="DE" preference="100">'
        f"rsync://de.example/pub/{SUB}/repodata/repomd.xml</url>\n"
    ) in body


def test_metalink_errors_are_failure_documents(svc: ListService) -> None:
    assert get(svc, "arch=x86_64", path="/metalink") == (
        200, "application/metalink+xml",
        METALINK_OPEN + "<!-- # either path=, or repo= and arch= must be specified\n-->\n"
        "</metalink>\n",
    )
    assert get(svc, "repo=updates-40&arch=x86_64", path="/foo/metalink") == (
        404, "application/metalink+xml",
        METALINK_OPEN + "<!-- pub/fedora/linux/updates/40/Everything/x86_64/repodata/repomd.xml"
        " not found or has not metalink\n-->\n</metalink>\n",
    )
    assert get(svc, "repo=broken&arch=x86_64", path="/metalink") == (
        500, None, "mirrorlist cache index out of range, you broke it!"
    )
    assert get(svc, f"path={OS}", path="/metalink") == (
        404, "application/metalink+xml",
        METALINK_OPEN + f"<!-- {OS}/ not found or has not metalink\n-->\n</metalink>\n",
    )


@pytest.mark.parametrize("query", [
    f"path={REPODATA}/x--><x><!--",  # the file name is echoed
    f"path={REPODATA}/x--->\udcff\udcfe-",  # bytes that are not UTF-8, a trailing '-'
    "repo=a--><x/><!--&arch=x86_64",  # the repo name is echoed, so is the listing
])
def test_metalink_failure_documents_stay_well_formed(svc: ListService, query: str) -> None:
    status, content_type, body = get(svc, query, path="/metalink")
    assert (status, content_type) == (404, "application/metalink+xml")
    root = ElementTree.fromstring(body.encode("utf-8"))  # parses: a single, whole comment
    assert root.tag == "{http://www.metalinker.org/}metalink" and list(root) == []
    comment = body.split("<!-- ", 1)[1].rsplit("\n-->", 1)[0]
    assert "--" not in comment
    while "- -" in comment:  # undo the neutralisation: the message is all there
        comment = comment.replace("- -", "--")
    echoed = query.split("=", 1)[1].split("&")[0].replace("\udcff", "\ufffd").replace(
        "\udcfe", "\ufffd")
    assert echoed in comment


def test_metalink_escapes_urls(tmp_path: Path) -> None:
    from listserver_data import world, write_inputs

    from mirrormanager_mirrorlist.inputs import Inputs

    b = world()
    b.host(20, ["http://amp.example/a&b"], country="NZ")
    b.directories[1].hosts.append(20)
    inputs = Inputs(write_inputs(tmp_path, b))
    inputs.load_all()
    body = ListService(inputs).answer(Request("/metalink", RA + "&country=NZ", None, "1.1.1.1")).body
    assert "http://amp.example/a&amp;b/" in body


# -- access log -----------------------------------------------------------------------------


class Lines:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str, str, str]] = []

    def record(self, ip: str, country: str, repo: str, arch: str) -> None:
        self.lines.append((ip, country, repo, arch))


def test_access_log_only_for_repo_and_arch(tmp_path: Path) -> None:
    sink = Lines()
    svc = service(tmp_path, access_log=sink)
    svc.answer(Request(ML, "repo=fedora-old&arch=x86_64&ip=192.0.2.4", None, "127.0.0.1"))
    svc.answer(Request(ML, f"path={OS}", None, "127.0.0.1"))
    svc.answer(Request(ML, "repo=fedora-source-40&arch=x86_64", None, "127.0.0.1"))
    assert sink.lines == [
        ("192.0.2.4", "DE", "fedora-old", "x86_64"),
        ("127.0.0.1", "N/A", "fedora-source-40", "source"),
    ]


def test_access_log_file_format(tmp_path: Path) -> None:
    import time

    from mirrormanager_mirrorlist.inputs import AccessLog

    log = AccessLog(tmp_path / "log" / "mirrorlist.log")
    svc = service(tmp_path, access_log=log)
    svc.answer(Request(ML, RA + "&ip=192.0.2.4", None, "127.0.0.1"))
    log.close()
    today = time.strftime("%Y-%m-%d", time.gmtime())
    line = (tmp_path / "log" / "mirrorlist.log").read_text()
    assert line == f"IP: 192.0.2.4; DATE: {today}; COUNTRY: DE; REPO: fedora-40; ARCH: x86_64\n"
    tokens = line.split()  # what mm2_mirrorlist-statistics reads
    assert (tokens[3][:10], tokens[5][:2], tokens[7].rstrip(";"), tokens[9]) == (
        today, "DE", "fedora-40", "x86_64"
    )


# -- weighted shuffle -----------------------------------------------------------------------


def test_weighted_shuffle_distribution() -> None:
    rng = random.Random(20240424)
    weights = {1: 1, 2: 2, 3: 7}
    trials = 30_000
    first: Counter[int] = Counter()
    second_after_3: Counter[int] = Counter()
    for _ in range(trials):
        order = weighted_shuffle([1, 2, 3], weights, rng)
        assert sorted(order) == [1, 2, 3]
        first[order[0]] += 1
        if order[0] == 3:
            second_after_3[order[1]] += 1
    for host, weight in weights.items():
        assert abs(first[host] / trials - weight / 10) < 0.012, (host, first)
    # without replacement: after 3 is drawn, 2 beats 1 two to one
    share = second_after_3[2] / sum(second_after_3.values())
    assert abs(share - 2 / 3) < 0.02


def test_weighted_shuffle_zero_weights_go_last_and_do_not_crash() -> None:
    rng = random.Random(1)
    seen_last: Counter[int] = Counter()
    for _ in range(2000):
        order = weighted_shuffle([1, 2, 3], {1: 0, 3: 5}, rng)
        assert order[0] == 3
        seen_last[order[2]] += 1
    assert seen_last[1] > 800 and seen_last[2] > 800  # uniform among the weightless


def test_answers_distribution_follows_bandwidth(tmp_path: Path) -> None:
    from listserver_data import world, write_inputs

    from mirrormanager_mirrorlist.inputs import Inputs

    b = world()
    b.host(30, ["http://nz1.example/pub"], country="NZ", bandwidth=9000)
    b.host(31, ["http://nz2.example/pub"], country="NZ", bandwidth=1000)
    b.directories[0].hosts += [30, 31]
    inputs = Inputs(write_inputs(tmp_path, b))
    inputs.load_all()
    svc = ListService(inputs, rng=random.Random(5))
    firsts: Counter[str] = Counter()
    for _ in range(4000):
        body = svc.answer(Request(ML, RA + "&country=NZ", None, "1.1.1.1")).body
        firsts[body.splitlines()[1].split("/")[2]] += 1
    assert abs(firsts["nz1.example"] / 4000 - 0.9) < 0.02
