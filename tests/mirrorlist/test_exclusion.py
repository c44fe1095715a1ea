"""``exclude=host.name,...``: the client leaves mirrors out of its answer (mirrorlist,
metalink, redirect); unknown names are ignored, the parameter is capped."""

from __future__ import annotations

from pathlib import Path

import pytest
from listserver_data import SUB, service

from mirrormanager_mirrorlist.app import ListService
from mirrormanager_mirrorlist.exclusion import MAX_NAMES
from mirrormanager_mirrorlist.httpmessages import Request

ML = "/mirrorlist"
RA = "repo=fedora-40&arch=x86_64"
HEAD = "# repo = fedora-40 arch = x86_64 "


def u(host: str, scheme: str = "http") -> str:
    return f"{scheme}://{host}.example/pub/{SUB}/"


@pytest.fixture
def svc(tmp_path: Path) -> ListService:
    return service(tmp_path, minimum=1)


def body(svc: ListService, query: str, path: str = ML) -> str:
    return svc.answer(Request(path, query, None, "127.0.0.1")).body


def test_excluded_country_host_falls_through_to_the_global_list(svc: ListService) -> None:
    assert body(svc, RA + "&country=us") == f"{HEAD}country = us \n{u('us')}\n"
    # without its only host US has none, nor has the rest of its continent: the global list
    answer = body(svc, RA + "&country=us&exclude=US.example")
    lines = answer.splitlines()
    assert lines[0] == HEAD + "country = global "
    assert sorted(lines[1:]) == sorted([u("de"), u("at", "https"), u("jp")])


def test_excluded_netblock_host_and_unknown_names(svc: ListService) -> None:
    plain = body(svc, RA + "&ip=10.1.2.3")
    assert plain == f"{HEAD}Using preferred netblock \n{u('private16')}\n{u('private')}\n"
    answer = body(svc, RA + "&ip=10.1.2.3&exclude=nowhere.example,private16.example,,")
    assert answer == f"{HEAD}Using preferred netblock \n{u('private')}\n"


def test_exclusion_in_the_geoip_tier_and_the_global_list(tmp_path: Path) -> None:
    svc5 = service(tmp_path, minimum=5)
    answer = body(svc5, RA + "&ip=203.0.113.9&exclude=se.example%2Cde.example")
    lines = answer.splitlines()
    # SE had only se.example: the header no longer names SE, DE keeps no host
    assert lines[0] == f"{HEAD}country = AT country = global "
    assert sorted(lines[1:]) == sorted([u("at", "https"), u("us"), u("jp")])


def test_metalink_and_redirect_honour_exclusion(svc: ListService) -> None:
    metalink = body(svc, RA + "&country=de&exclude=de.example", "/metalink")
    assert "de.example" not in metalink and "<url " in metalink
    answer = svc.answer(Request(ML, RA + "&country=global&redirect&exclude=de.example,"
                                "us.example,jp.example", None, "127.0.0.1"))
    assert answer.status == 302 and answer.location == u("at", "https")


def test_excluding_everything_leaves_an_empty_list(svc: ListService) -> None:
    answer = body(svc, RA + "&country=us&exclude=" + ",".join(
        f"{h}.example" for h in ("us", "ca", "de", "at", "jp", "se")))
    assert answer.splitlines()[1:] == []


def test_the_parameter_is_capped(svc: ListService) -> None:
    many = ",".join(f"h{i}.example" for i in range(MAX_NAMES + 1))
    answer = svc.answer(Request(ML, RA + "&exclude=" + many, None, "127.0.0.1"))
    assert (answer.status, answer.body) == (
        400, "exclude= takes at most 32 host names and 2048 characters")
    answer = svc.answer(Request(ML, RA + "&exclude=" + "x" * 3000, None, "127.0.0.1"))
    assert answer.status == 400
    metalink = svc.answer(Request("/metalink", RA + "&exclude=" + many, None, "127.0.0.1"))
    assert metalink.status == 400 and "exclude= takes at most" in metalink.body


def test_the_cached_view_is_untouched(svc: ListService) -> None:
    body(svc, RA + "&country=global&exclude=de.example")
    assert u("de") in body(svc, RA + "&country=global")
