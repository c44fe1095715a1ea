"""The event loop of the HTTP server under back-pressure: answers the kernel does not take at
once are finished later, in order, while other connections keep being answered."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import trio
from test_server_http import NORMAL, NORMAL_BODY, normal_request_answers, request, settings_for, start


HEAD = re.compile(
    rb"HTTP/1\.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: (\d+)\r\n"
    rb"Date: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\r\n"
    rb"X-MirrorList-Generation: \d+-[0-9a-f]{8}\r\n(Connection: close\r\n)?"
)


def split_answers(data: bytes) -> list[tuple[bytes, bytes]]:
    """(header block without the blank line, body) of each answer; every byte accounted for."""
    answers = []
    position = 0
    while position < len(data):
        end = data.index(b"\r\n\r\n", position)
        head = data[position : end + 2]
        match = re.search(rb"Content-Length: (\d+)\r\n", head)
        assert match is not None, head
        body_start = end + 4
        body_end = body_start + int(match.group(1))
        answers.append((head, data[body_start:body_end]))
        position = body_end
    assert position == len(data)
    return answers


async def test_slow_reader_of_pipelined_answers(tmp_path: Path, nursery: trio.Nursery) -> None:
    started, stop = await start(nursery, settings_for(tmp_path))
    count = 30000
    burst = request(NORMAL, close=False) * (count - 1) + request(NORMAL)
    sock = trio.socket.socket()
    # a tiny receive window: the answers (7 MB) overflow the server's send buffer (4 MB at most)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    await sock.connect(("127.0.0.1", started.port))
    stream = trio.SocketStream(sock)
    received = b""
    async with stream, trio.open_nursery() as inner:
        inner.start_soon(stream.send_all, burst)
        with trio.fail_after(30):
            await trio.sleep(0.5)  # nothing read yet: the server is stuck on a full buffer
            await normal_request_answers(started.port)  # others are served meanwhile
            while True:
                chunk = await stream.receive_some(65536)
                if not chunk:
                    break
                received += chunk
    answers = split_answers(received)
    assert len(answers) == count
    for head, body in answers:
        assert HEAD.fullmatch(head), head
        assert body == NORMAL_BODY.encode()
    assert answers[-1][0].endswith(b"Connection: close\r\n")
    await normal_request_answers(started.port)
    stop.set()
