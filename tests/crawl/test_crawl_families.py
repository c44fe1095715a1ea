"""Address families: the crawler records, per host URL, whether it answers over IPv4 and IPv6.

Real listeners on 127.0.0.1 and ::1; the crawl's result read back from ``host_category_url``."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import trio
from crawl_db import MirrorSpec, populate
from mirrormanager_devtools.loopback import free_port
from mirrormanager_devtools.mirrorserver import MirrorServer, MirrorSite
from mirrormanager_http.protocol import HttpProtocol
from mirrormanager_pg_store import schema as t
from mirrormanager_pg_store.store import SqlStore

from crawl_trees import TOPDIR, UPDATES
from mirrormanager_mirrorlist.app import ListService
from mirrormanager_mirrorlist.config import MirrorlistConfig
from mirrormanager_mirrorlist.httpmessages import Request
from mirrormanager_mirrorlist.inputs import InputPaths, Inputs
from mirrormanager_mirrorlist.writer import ProtobufCacheWriter

from mmcore.crawl.config import CrawlerConfig
from mmcore.crawl.engine import CrawlOptions, crawl
from mmcore.crawl.families import FamilyProbe, endpoint_of, probe_endpoint


async def _listener(nursery: trio.Nursery, host: str) -> int:
    listeners = await trio.open_tcp_listeners(0, host=host)

    async def accept_and_close() -> None:
        while True:
            stream = await listeners[0].accept()
            await stream.aclose()

    nursery.start_soon(accept_and_close)
    return listeners[0].socket.getsockname()[1]


async def test_probe_endpoint_tells_each_family(nursery):
    v4 = await _listener(nursery, "127.0.0.1")
    v6 = await _listener(nursery, "::1")
    assert await probe_endpoint("127.0.0.1", v4, 2) == (True, None)
    assert await probe_endpoint("::1", v6, 2) == (None, True)
    # offered but refused: False, not None
    assert await probe_endpoint("127.0.0.1", free_port(), 2) == (False, None)
    # a name that does not resolve: nothing offered
    assert await probe_endpoint("no-such-host.invalid", 80, 2) == (None, None)


async def test_probe_is_bounded_by_the_timeout():
    # 192.0.2.0/24 (TEST-NET-1) is never routed: the connect either fails at once or hangs;
    # either way the probe returns within its timeout
    start = trio.current_time()
    ipv4, ipv6 = await probe_endpoint("192.0.2.1", 80, 0.3)
    assert ipv4 is False and ipv6 is None
    assert trio.current_time() - start < 1.5


def test_endpoint_of_urls():
    assert endpoint_of("http://[::1]:8080/pub") == ("::1", 8080)
    assert endpoint_of("https://mirror.example/pub") == ("mirror.example", 443)
    assert endpoint_of("rsync://mirror.example/pub") == ("mirror.example", 873)
    assert endpoint_of("ftp://mirror.example:2121/") == ("mirror.example", 2121)
    assert endpoint_of("http://mirror.example:notaport/") is None
    assert endpoint_of("file:///srv") is None


async def test_one_probe_per_endpoint(nursery):
    port = await _listener(nursery, "127.0.0.1")
    probe = FamilyProbe(2)
    first = await probe.probe(f"http://127.0.0.1:{port}/a")
    second = await probe.probe(f"rsync://127.0.0.1:{port}/b")
    assert (first.ipv4, first.ipv6) == (second.ipv4, second.ipv6) == (True, None)
    assert list(probe._seen) == [("127.0.0.1", port)]


def _families(store: SqlStore) -> dict[str, tuple[bool | None, bool | None]]:
    u = t.host_category_url
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(u.c.url, u.c.ipv4, u.c.ipv6)).all()
    return {row.url: (row.ipv4, row.ipv6) for row in rows}


@pytest.mark.parametrize("enabled", [True, False])
async def test_crawl_records_families_per_url(nursery, store_url, trees, enabled, tmp_path):
    store = SqlStore(store_url)
    store.upgrade()
    try:
        server = MirrorServer({"full": MirrorSite(trees.mirrors["full"].parent.parent)})
        port4 = await nursery.start(server.serve, "127.0.0.1", 0)
        port6 = await nursery.start(server.serve, "::1", 0)
        dead = free_port()
        urls = {
            "v4": f"http://127.0.0.1:{port4}/full/fedora/linux",
            "v6": f"http://[::1]:{port6}/full/fedora/linux",
            "dead": f"http://127.0.0.1:{dead}/full/fedora/linux",
        }
        populate(store, trees.master_top, trees.directories, [
            MirrorSpec("v4-only", (urls["v4"],)),
            MirrorSpec("v6-only", (urls["v6"],)),
            # the rsync URL refuses (a family offered, not answering), HTTP answers
            MirrorSpec("both-urls", (f"rsync://127.0.0.1:{dead}/full/linux", urls["dead"])),
        ])
        limits = CrawlerConfig(connect_timeout=2, operation_timeout=5, listing_timeout=10,
                               address_families=enabled)
        summary = await crawl(store, [HttpProtocol()], limits,
                              CrawlOptions(concurrency=4, host_timeout=10))
        assert {r.host_name for r in summary.results} == {"v4-only", "v6-only", "both-urls"}
        found = _families(store)
        if not enabled:
            assert set(found.values()) == {(None, None)}
            return
        assert found[urls["v4"]] == (True, None)
        assert found[urls["v6"]] == (None, True)
        assert found[urls["dead"]] == (False, None)
        assert found[f"rsync://127.0.0.1:{dead}/full/linux"] == (False, None)
        # through the cache to the list server: an IPv6 client gets the IPv6 mirror first
        cache = ProtobufCacheWriter(clock=lambda: 1_700_000_000)
        path = tmp_path / "mirrorlist_cache.proto"
        cache.write_blocking(store, path, MirrorlistConfig(dns_timeout=1.0))
        inputs = Inputs(InputPaths(cache=path))
        inputs.load_all()
        service = ListService(inputs, minimum=1)
        query = f"path={TOPDIR}/{UPDATES}"
        for client, first in (("::1", f"[::1]:{port6}"), ("127.0.0.1", f"127.0.0.1:{port4}")):
            for _ in range(10):
                body = service.answer(Request("/mirrorlist", query, None, client)).body
                assert body.splitlines()[1].startswith(f"http://{first}/"), body
    finally:
        store.close()
