"""``explain=1``: the JSON explanation of an answer, for a client in each tier, with the reasons
hosts are dropped; the plain answer it carries is the one the plain path gives."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from listserver_data import PUBDATE_CLOCK, world, write_inputs

from mirrormanager_mirrorlist.app import ListService
from mirrormanager_mirrorlist.explain import (
    EARLIER,
    EXCLUDED,
    NO_URL,
    NOT_ALLOWED,
    NOT_TRIED,
    NOT_UP_TO_DATE,
    PRIVATE,
    PROTOCOL,
)
from mirrormanager_mirrorlist.httpmessages import Request
from mirrormanager_mirrorlist.inputs import Inputs

RA = "repo=fedora-40&arch=x86_64"
TIERS = ["netblock", "asn", "country", "geoip_country", "continent", "global"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    b = world()
    b.host(10, ["http://stale.example/pub"], country="DE", netblocks=["10.0.0.0/8"])  # not here
    b.host(11, [], country="US")  # listed for the directory, without a URL in it
    b.host(12, ["rsync://rsync-us.example/pub"], country="US")
    b.directories[0].hosts += [11, 12]
    paths = write_inputs(tmp_path_factory.mktemp("explain"), b)
    inputs = Inputs(paths)
    inputs.load_all()
    return inputs


def services(inputs: Inputs, minimum: int) -> tuple[ListService, ListService]:
    """Two services drawing the same random numbers: one to explain, one to answer plainly."""
    return tuple(ListService(inputs, minimum=minimum, rng=random.Random(3),  # type: ignore
                             clock=lambda: PUBDATE_CLOCK) for _ in range(2))


def explained(inputs: Inputs, query: str, *, minimum: int = 1, path: str = "/mirrorlist",
              xff: str | None = None) -> dict[str, Any]:
    explainer, plain = services(inputs, minimum)
    answer = explainer.answer(Request(path, query + "&explain=1", xff, "127.0.0.1"))
    assert (answer.status, answer.content_type) == (200, "application/json")
    doc = json.loads(answer.body)
    expected = plain.answer(Request(path, query, xff, "127.0.0.1"))
    assert doc["answer"] == {"status": expected.status, "content_type": expected.content_type,
                             "location": expected.location, "body": expected.body,
                             "headers": [list(h) for h in expected.headers]}
    assert doc["generation"] == inputs.index.generation  # type: ignore[union-attr]
    if doc["answer"]["status"] == 200 and path == "/mirrorlist":
        # the final order is the plain answer's
        urls = [u for entry in doc["order"] for u in entry["urls"]]
        for line in expected.body.splitlines()[1:]:
            assert line in urls
        assert len(doc["order"]) == len(expected.body.splitlines()) - 1
    return doc


def tier(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in doc["tiers"] if t["tier"] == name)


def names(entries: list[dict[str, Any]]) -> list[str | None]:
    return [e["name"] for e in entries]


def reasons(entries: list[dict[str, Any]]) -> dict[int, str]:
    return {e["host"]: e["reason"] for e in entries}


def test_netblock_client(inputs: Inputs) -> None:
    doc = explained(inputs, RA + "&ip=10.1.2.3")
    assert [t["tier"] for t in doc["tiers"]] == TIERS
    assert doc["client"] | {} == doc["client"] and doc["client"]["address"] == "10.1.2.3"
    assert doc["client"]["address_from"] == "ip="
    netblock = tier(doc, "netblock")
    assert [(e["name"], e["netblock"]) for e in netblock["contributed"]] == [
        ("private16.example", "10.1.0.0/16"), ("private.example", "10.0.0.0/8")]
    assert reasons(netblock["dropped"]) == {10: NOT_UP_TO_DATE}
    assert [e["tier"] for e in doc["order"]] == ["netblock", "netblock"]
    assert doc["found_via"] == "netblocks"
    assert not tier(doc, "global")["tried"]


def test_asn_client_from_x_forwarded_for(inputs: Inputs) -> None:
    doc = explained(inputs, RA, xff="192.0.2.1, 198.18.0.1")
    assert (doc["client"]["address"], doc["client"]["address_from"]) == (
        "198.18.0.1", "X-Forwarded-For")
    assert (doc["client"]["asn"], doc["client"]["asn_from"]) == (
        64500, "ASN table (global netblocks)")
    asn = tier(doc, "asn")
    assert asn["tried"] and asn["asn"] == 64500 and names(asn["contributed"]) == ["jp.example"]
    assert doc["order"][0]["tier"] == "asn"


def test_requested_country_with_protocol_and_no_url_drops(inputs: Inputs) -> None:
    doc = explained(inputs, RA + "&country=US&exclude=nowhere.example")
    country = tier(doc, "country")
    assert names(country["contributed"]) == ["us.example"]
    assert reasons(country["dropped"]) == {11: NO_URL, 12: PROTOCOL}
    assert not tier(doc, "netblock")["tried"] and "country=" in tier(doc, "netblock")["why"]
    assert not tier(doc, "geoip_country")["tried"] and not tier(doc, "global")["tried"]
    assert doc["parameters"]["exclude"] == ["nowhere.example"]
    assert doc["parameters"]["excluded_hosts"] == []
    # with protocol=rsync the rsync-only host serves, the http one does not
    doc = explained(inputs, RA + "&country=US&protocol=rsync")
    assert names(tier(doc, "country")["contributed"]) == ["rsync-us.example"]
    assert reasons(tier(doc, "country")["dropped"]) == {3: PROTOCOL, 11: NO_URL}


def test_geoip_country_client_with_exclusion(inputs: Inputs) -> None:
    doc = explained(inputs, RA + "&ip=198.51.100.7&exclude=us.example", minimum=2)
    assert (doc["client"]["country"], doc["client"]["country_from"]) == ("US", "GeoIP")
    geo = tier(doc, "geoip_country")
    assert geo["country"] == "US"
    assert reasons(geo["dropped"]) == {3: EXCLUDED, 11: NO_URL, 12: PROTOCOL}
    # one host with URLs left in US (rsync only: not in a text list that has http ones)
    glob = tier(doc, "global")
    assert glob["tried"] and glob["why"] == "1 usable hosts < minimum 2"
    assert reasons(glob["dropped"])[7] == NOT_ALLOWED
    assert reasons(glob["dropped"])[3] == EXCLUDED
    assert "us.example" not in doc["answer"]["body"]


def test_continent_client(inputs: Inputs) -> None:
    # FR (GeoIP) has no host: its continent's DE, AT and SE answer
    doc = explained(inputs, RA + "&ip=100.64.0.1", minimum=3)
    assert tier(doc, "geoip_country")["contributed"] == []
    continent = tier(doc, "continent")
    assert sorted(continent["countries"]) == ["AT", "DE", "SE"]
    assert sorted(names(continent["contributed"])) == ["at.example", "de.example", "se.example"]
    assert all(e["weight"] == 100 and e["first_chance"] == pytest.approx(1 / 3, abs=1e-3)
               for e in continent["contributed"])
    assert tier(doc, "global")["why"] == "3 usable hosts >= minimum 3"
    assert reasons(doc["other_hosts"]) == {3: NOT_TRIED, 4: PRIVATE, 5: PRIVATE, 6: NOT_TRIED,
                                           12: NOT_TRIED}
    assert {e["tier"] for e in doc["order"]} == {"continent"}


def test_global_client_netblock_country_override(inputs: Inputs) -> None:
    doc = explained(inputs, RA + "&ip=172.16.5.5", minimum=5)
    assert doc["client"]["country"] == "JP"
    assert doc["client"]["country_from"].startswith("netblock")
    glob = tier(doc, "global")
    assert glob["tried"]
    assert reasons(glob["dropped"]) == {6: EARLIER, 7: NOT_ALLOWED, 11: NO_URL, 12: PROTOCOL}
    assert doc["order"][0]["name"] == "jp.example"
    assert [e["tier"] for e in doc["order"]][1:] == ["global"] * (len(doc["order"]) - 1)


def test_peer_metalink_and_redirect(inputs: Inputs) -> None:
    doc = explained(inputs, RA + "&country=de", path="/metalink")
    assert doc["client"]["address_from"] == "peer"
    assert doc["answer"]["content_type"] == "application/metalink+xml"
    assert doc["target"] == {"directory": "pub/fedora/linux/releases/40/Everything/x86_64/os"
                                          "/repodata", "file": "repomd.xml"}
    assert [e["name"] for e in doc["order"]] == ["de.example"]
    doc = explained(inputs, RA + "&country=de&v=4", path="/metalink")
    assert doc["answer"]["content_type"] == "application/metalink4+xml"
    assert doc["answer"]["headers"][0][0] == "Repr-Digest"
    doc = explained(inputs, RA + "&country=us&redirect")
    assert doc["answer"]["status"] == 302
    assert doc["answer"]["location"] == doc["order"][0]["urls"][0]
    assert doc["answer"]["headers"][0][0] == "Link"


def test_failures_are_explained_too(inputs: Inputs) -> None:
    doc = explained(inputs, "repo=nope&arch=x86_64")
    assert doc["answer"]["status"] == 404 and "tiers" not in doc
    doc = explained(inputs, RA + "&ip=not-an-address")
    assert doc["answer"]["status"] == 500 and "address" not in doc["client"]


def test_explain_only_when_1(inputs: Inputs) -> None:
    plain, _ = services(inputs, 1)
    answer = plain.answer(Request("/mirrorlist", RA + "&explain=0", None, "127.0.0.1"))
    assert answer.content_type == "text/plain"
