"""Ending a connection with an answer, gracefully: small trio tasks the HTTP loop hands a socket
to (a refused newcomer, a request that broke a limit or the protocol)."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import trio

from mirrormanager_mirrorlist.httpmessages import plain_answer

if TYPE_CHECKING:
    from mirrormanager_mirrorlist.config import MirrorlistConfig

RECV_SIZE = 65536


async def refuse(sock: socket.socket) -> None:
    """503 to a connection over the connection bound, then close (within a second)."""
    with sock, trio.move_on_after(1):
        await send_all(sock, plain_answer(503, "too many connections\n"))


async def reject(sock: socket.socket, answer: bytes, limits: MirrorlistConfig) -> None:
    """Send an error answer and close without a reset: stop writing, then read and discard
    what the client is still sending (briefly), so the kernel does not answer the unread bytes
    with an RST that would destroy our answer before the client read it."""
    with sock:
        with trio.move_on_after(limits.send_timeout):
            if not await send_all(sock, answer):
                return
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            return
        discarded = 0
        with trio.move_on_after(1.0):
            while discarded < 4 * limits.max_request_bytes:
                try:
                    chunk = sock.recv(RECV_SIZE)
                except BlockingIOError:
                    await trio.lowlevel.wait_readable(sock)
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                discarded += len(chunk)


async def send_all(sock: socket.socket, data: bytes) -> bool:
    """Send everything (waiting while the kernel buffer is full; the caller's scope sets the
    deadline); ``False`` when the connection broke."""
    view = memoryview(data)
    while view:
        try:
            sent = sock.send(view)
        except BlockingIOError:
            await trio.lowlevel.wait_writable(sock)
            continue
        except OSError:
            return False
        view = view[sent:]
    return True
