"""Fairness between connections: clients that pipeline thousands of requests and never read
get at most ``pipeline_batch`` answers per turn of the loop, so an ordinary request that
arrives meanwhile waits for a bounded number of answers, not for all of theirs."""

from __future__ import annotations

import socket
from pathlib import Path

import trio
from listserver_data import service

from mirrormanager_mirrorlist.httpmessages import Answer, Request
from mirrormanager_mirrorlist.httpserver import HttpServer
from mirrormanager_mirrorlist.config import MirrorlistConfig
from mmcore.listeners import bound_port, open_sockets

FLOODERS = 100
PIPELINED = 1200  # ~64 KB of requests each: one receive's worth
BATCH = 8
FLOOD = b"GET /metalink?repo=fedora-40&arch=x86_64 HTTP/1.1\r\nHost: x\r\n\r\n" * PIPELINED
ORDINARY = "repo=fedora-40&arch=x86_64&country=us&ip=198.51.100.99"


def ordinary_request(port: int, answered: list[str]) -> tuple[int, bytes]:
    """(answers computed before the request was sent, the answer)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        before = len(answered)
        sock.sendall(f"GET /mirrorlist?{ORDINARY} HTTP/1.1\r\nHost: x\r\n"
                     "Connection: close\r\n\r\n".encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return before, received


async def test_pipelining_floods_get_a_bounded_share_of_each_turn(
    tmp_path: Path, nursery: trio.Nursery
) -> None:
    svc = service(tmp_path)
    answered: list[str] = []  # the queries, in the order the server answers them

    def handler(request: Request) -> Answer:
        answered.append(request.query)
        return svc.answer(request)

    server = HttpServer(handler, MirrorlistConfig(pipeline_batch=BATCH, max_connections=2 * FLOODERS,
                                            shutdown_grace=0.5))
    listener = open_sockets([("127.0.0.1", 0)], listen=True, reuse_port=False)[0]
    port = bound_port(listener)
    stop = trio.Event()
    await nursery.start(server.serve, [listener], stop)
    flooders = [await trio.open_tcp_stream("127.0.0.1", port) for _ in range(FLOODERS)]
    try:
        async with trio.open_nursery() as senders:
            for stream in flooders:
                senders.start_soon(stream.send_all, FLOOD)  # and never read
        with trio.fail_after(30):
            while len(answered) < FLOODERS:  # the flood is being answered
                await trio.sleep(0)
        # the ordinary client is another program: a thread, not a task of this trio loop
        before, response = await trio.to_thread.run_sync(ordinary_request, port, answered)
        assert response.startswith(b"HTTP/1.1 200 OK") and b"us.example" in response
        flood_answers_meanwhile = answered.index(ORDINARY) - before
        # the rest of the turn in progress, the turn that accepts, the one that reads it
        assert flood_answers_meanwhile <= 4 * FLOODERS * BATCH, flood_answers_meanwhile
        # and the flood was not answered first (everything it had sent: 120,000 answers)
        assert answered.index(ORDINARY) < FLOODERS * PIPELINED // 2
    finally:
        stop.set()
        for stream in flooders:
            await stream.aclose()
    listener.close()


async def test_a_pipelining_client_that_reads_gets_every_answer_in_order(
    tmp_path: Path, nursery: trio.Nursery
) -> None:
    svc = service(tmp_path)
    server = HttpServer(svc.answer, MirrorlistConfig(pipeline_batch=3))
    listener = open_sockets([("127.0.0.1", 0)], listen=True, reuse_port=False)[0]
    stop = trio.Event()
    await nursery.start(server.serve, [listener], stop)
    queries = [f"repo=fedora-40&arch=x86_64&country=us&ip=198.51.100.{n}" for n in range(50)]
    burst = b"".join(
        f"GET /mirrorlist?{q} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for q in queries
    ) + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    stream = await trio.open_tcp_stream("127.0.0.1", bound_port(listener))
    received = b""
    async with stream:
        await stream.send_all(burst)
        with trio.fail_after(10):
            while chunk := await stream.receive_some(65536):
                received += chunk
    answers = received.split(b"HTTP/1.1 200 OK\r\n")[1:]
    assert len(answers) == 51 and server.served == 51
    assert all(b"us.example" in answer for answer in answers[:50])
    assert b"ok generation=" in answers[50] and b"Connection: close" in answers[50]
    stop.set()
    listener.close()
