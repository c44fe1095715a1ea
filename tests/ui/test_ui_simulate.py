"""The admins' "what would a client get" page: the list server's explain=1 through the
``mm_explain_answer`` hook, on a real cache file, for each actor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mirrormanager_mirrorlist.builder import CacheBuilder
from mirrormanager_mirrorlist.config import MirrorlistConfig
from mirrormanager_mirrorlist.families import IPV4, IPV6
from mmcore.runtime import Runtime

from conftest import EventLog, make_runtime

DIRECTORY = "pub/fedora/linux/updates/41/x86_64"
PAGE = "/admin/simulate/"


def write_cache(path: Path) -> Path:
    b = CacheBuilder(1_714_000_000)
    b.host(1, ["http://de-four.example/pub"], country="DE", families=IPV4)
    b.host(2, ["https://us-six.example/pub"], country="US", families=IPV6)
    b.host(3, ["http://private.example/pub"], country="DE", private=True,
           netblocks=["192.0.2.0/25"])
    b.directory(DIRECTORY, [1, 2, 3], subpath="updates/41/x86_64")
    b.repo("updates-released-f41", "x86_64", DIRECTORY)
    b.netblock_countries += [("192.0.2.0/24", "DE"), ("2001:db8:de::/48", "DE")]
    return b.write(path)


@pytest.fixture
def cache_file(tmp_path: Path) -> Path:
    return write_cache(tmp_path / "mirrorlist_cache.proto")


@pytest.fixture
def runtime(store: Any, tmp_path: Any, events: EventLog, cache_file: Path) -> Iterator[Runtime]:
    yield make_runtime(store, tmp_path, (events,),
                       mirrorlist=MirrorlistConfig(cache_path=str(cache_file), minimum=1))


def query(address: str, **extra: str) -> str:
    params = {"address": address, "repo": "updates-released-f41", "arch": "x86_64", **extra}
    return PAGE + "?" + "&".join(f"{k}={v}" for k, v in params.items())


async def test_only_admins_see_it(actors: dict) -> None:
    anonymous = await actors["anonymous"].get(query("192.0.2.200"))
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["Location"]
    for name in ("user", "other", "owner"):
        page = await actors[name].get(query("192.0.2.200"))
        assert page.status_code == 403, name
        assert "de-four" not in page.text
    assert (await actors["admin"].get(PAGE)).status_code == 200


async def test_an_ipv6_client_is_sent_to_the_ipv6_mirror_and_told_why(actors: dict) -> None:
    page = await actors["admin"].get(query("2001:db8:de::7"))
    assert page.status_code == 200, page.text
    text = page.text
    assert "2001:db8:de::7 (ipv6)" in text and "DE, from netblock" in text
    order = text[text.index('<ol id="order">'):text.index("</ol>", text.index('<ol id="order">'))]
    assert order.index("us-six.example") < order.index("de-four.example")
    assert "no host found so far reaches the client&#39;s address family" in text
    assert "not over the client's address family" in text  # de-four is IPv4 only
    plain = text[text.index('<pre id="plain-answer">'):]
    assert "https://us-six.example/pub/updates/41/x86_64/" in plain


async def test_netblock_client_sees_the_private_mirror_and_exclusion(actors: dict) -> None:
    text = (await actors["admin"].get(query("192.0.2.9"))).text
    assert 'data-tier="netblock"' in text and "private.example" in text
    excluded = (await actors["admin"].get(query("192.0.2.9", exclude="private.example"))).text
    assert "excluded by the client" in excluded


async def test_bad_input_is_refused_and_escaped(actors: dict) -> None:
    admin = actors["admin"]
    bad = await admin.get(query("not-an-address"))
    assert bad.status_code == 400 and "an IPv4 or IPv6 address" in bad.text
    hostile = await admin.get(PAGE + "?address=192.0.2.1&path=<script>alert(1)</script>")
    assert hostile.status_code == 400
    assert "<script>alert(1)" not in hostile.text and "&lt;script&gt;" in hostile.text
    injected = await admin.get(query("192.0.2.1", country="DE%26ip%3D10.0.0.1"))
    assert injected.status_code == 400


async def test_no_cache_says_so(actors: dict, cache_file: Path) -> None:
    cache_file.unlink()
    text = (await actors["admin"].get(query("192.0.2.200"))).text
    assert "No list-server cache could be loaded" in text
