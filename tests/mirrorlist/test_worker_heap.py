"""A worker freezes its surviving objects (heap.py), so the collector's full passes do not walk
the loaded cache and the view cache.  Frozen objects are freed by reference counting only:
that is safe because answering and serving connections make no reference cycles, which these
tests count with the collector off."""

from __future__ import annotations

import gc
import random
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio
from listserver_data import many_directories, service, write_inputs

from mirrormanager_mirrorlist.app import ListService
from mirrormanager_mirrorlist.config import MirrorlistConfig
from mirrormanager_mirrorlist.heap import FrozenHeap
from mirrormanager_mirrorlist.httpmessages import Request
from mirrormanager_mirrorlist.httpserver import HttpServer
from mirrormanager_mirrorlist.inputs import Inputs
from mmcore.listeners import bound_port, open_sockets

QUERIES = [
    ("/mirrorlist", "repo=fedora-40&arch=x86_64", "192.0.2.7"),
    ("/mirrorlist", "repo=fedora-40&arch=x86_64&country=de,us", "198.51.100.9"),
    ("/mirrorlist", "repo=fedora-40&arch=x86_64&exclude=de.example", "192.0.2.7"),
    ("/metalink", "repo=fedora-40&arch=x86_64", "192.0.2.7"),
    ("/metalink", "repo=fedora-40&arch=x86_64&protocol=https", "203.0.113.4"),
    ("/mirrorlist", "repo=no-such-repo&arch=x86_64", "192.0.2.7"),
    ("/mirrorlist", "path=pub/fedora/linux/releases/40/Everything/x86_64/os", "192.0.2.7"),
    ("/mirrorlist", "", "192.0.2.7"),
    ("/nothing-here", "x=%zz", "not an address"),
]


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_answers_make_no_reference_cycles(tmp_path: Path, collector_off: None) -> None:
    svc = service(tmp_path)
    gc.collect()  # whatever loading left
    statuses = set()
    for _ in range(50):
        for path, query, client in QUERIES:
            statuses.add(svc.answer(Request(path, query, client, "127.0.0.1")).status)
    assert {200, 404} <= statuses  # answers and refusals both went through
    assert gc.collect() == 0


def test_explain_garbage_goes_at_the_next_turn(tmp_path: Path, collector_off: None) -> None:
    """``json.dumps(indent=...)`` (the stdlib's Python encoder) leaves a few cycles per call:
    garbage before the request is over, so the next freeze's collection takes them."""
    svc = service(tmp_path)
    heap = FrozenHeap(1.0, lambda: 0)
    try:
        heap.full_pass()
        for _ in range(20):
            answer = svc.answer(Request("/mirrorlist", "repo=fedora-40&arch=x86_64&explain=1",
                                        "192.0.2.7", "127.0.0.1"))
            assert answer.status == 200
        assert heap.freeze_survivors() > 0
        gc.unfreeze()
        assert gc.collect() == 0  # nothing of it was frozen
    finally:
        gc.unfreeze()


def test_views_frozen_then_evicted_leave_nothing_behind(
    tmp_path: Path, collector_off: None
) -> None:
    """What the view cache built and a freeze kept is freed by reference counting once it is
    evicted: no cycle among frozen objects stays when they die."""
    inputs = Inputs(write_inputs(tmp_path, many_directories(count=60)), view_capacity=8)
    inputs.load_all()
    svc = ListService(inputs, minimum=1, rng=random.Random(3))
    requests = [Request("/mirrorlist", f"path=pub/extra/{n}", "192.0.2.7", "127.0.0.1")
                for n in range(60)]
    requests += [Request(path, query, client, "127.0.0.1") for path, query, client in QUERIES
                 if "explain" not in query]
    heap = FrozenHeap(1.0, lambda: 0)
    try:
        for request in requests:
            svc.answer(request)
        heap.full_pass()  # the views in the cache now are frozen ...
        for request in reversed(requests):  # ... and evicted by these
            svc.answer(request)
        assert gc.collect() == 0
        gc.unfreeze()
        assert gc.collect() == 0
    finally:
        gc.unfreeze()


def one_request(port: int, keep_alive: bool) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        close = b"" if keep_alive else b"Connection: close\r\n"
        sock.sendall(b"GET /mirrorlist?repo=fedora-40&arch=x86_64 HTTP/1.1\r\nHost: x\r\n"
                     + close + b"\r\n")
        sock.settimeout(10)
        received = sock.recv(65536)
    return received


async def test_served_connections_make_no_reference_cycles(
    tmp_path: Path, nursery: trio.Nursery, collector_off: None
) -> None:
    svc = service(tmp_path)
    server = HttpServer(svc.answer, MirrorlistConfig(shutdown_grace=0.5))
    listener = open_sockets([("127.0.0.1", 0)], listen=True, reuse_port=False)[0]
    port = bound_port(listener)
    stop = trio.Event()
    await nursery.start(server.serve, [listener], stop)
    await trio.to_thread.run_sync(one_request, port, True)  # the loop's first turns
    with trio.fail_after(10):
        while server.open_connections:
            await trio.sleep(0.01)
    gc.collect()
    for n in range(60):
        answer = await trio.to_thread.run_sync(one_request, port, n % 2 == 0)
        assert answer.startswith(b"HTTP/1.1 200 OK")
    with trio.fail_after(10):
        while server.open_connections:  # every client has gone and the server noticed
            await trio.sleep(0.01)
    assert server.served >= 61
    assert gc.collect() == 0
    stop.set()
    listener.close()


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_a_full_pass_freezes_what_survives_and_collects_cycles() -> None:
    heap = FrozenHeap(1.0, lambda: 0)
    try:
        Cycle()
        kept = [Cycle() for _ in range(100)]
        heap.full_pass()
        assert heap.collected >= 1  # the dropped cycle (its object and its __dict__)
        assert gc.get_freeze_count() >= len(kept)
        assert not any(gc.is_tracked(k) and k in gc.get_objects(0) for k in kept[:3])
        assert heap.full_passes == 1
    finally:
        gc.unfreeze()


def test_a_turn_freezes_survivors_and_makes_a_full_pass_after_a_swap() -> None:
    generation = [0]
    heap = FrozenHeap(1.0, lambda: generation[0])
    try:
        heap.full_pass()
        frozen = gc.get_freeze_count()
        Cycle()  # garbage made since the last freeze: collected by the next turn
        kept = [[n] for n in range(500)]
        heap.turn()
        assert heap.full_passes == 1 and heap.collected >= 1
        assert gc.get_freeze_count() >= frozen + len(kept)
        generation[0] += 1  # the worker swapped its cache
        heap.turn()
        assert heap.full_passes == 2
        heap.turn()
        assert heap.full_passes == 2
    finally:
        gc.unfreeze()


async def test_interval_zero_leaves_the_collector_alone() -> None:
    heap = FrozenHeap(0, lambda: 0)
    assert not heap.enabled
    frozen = gc.get_freeze_count()
    with trio.fail_after(1):
        await heap.run()  # returns at once
    assert heap.full_passes == 0 and gc.get_freeze_count() == frozen


async def test_a_running_policy_freezes_and_unfreezes_when_it_ends() -> None:
    heap = FrozenHeap(0.01, lambda: 0)
    with trio.move_on_after(0.2):
        await heap.run()
    assert heap.full_passes == 1
    assert gc.get_freeze_count() == 0  # cancelled: everything back with the collector


def test_the_interval_is_checked_when_read() -> None:
    with pytest.raises(ValueError):
        MirrorlistConfig(gc_freeze_interval=-1)
