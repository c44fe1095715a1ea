"""A small HTTP/1.1 server on trio sockets, parsing with httptools (llhttp).

Only what the list server needs: keep-alive and pipelining, GET/HEAD/POST treated alike, request
size limits (request target, header block, body, total), a read deadline per request and an idle
deadline between requests, a bound on open connections (at the bound, the connection that has been
waiting longest for its next request is closed to make room; if none is waiting the newcomer gets
503), and a graceful stop: no more accepts, idle connections closed, answers in flight finished
within a grace period.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Callable
from typing import Any

import attrs
import httptools
import trio

from mirrormanager_mirrorlist.app import Answer
from mirrormanager_mirrorlist.render import http_date

log = logging.getLogger(__name__)

REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    404: "Not Found",
    408: "Request Timeout",
    413: "Content Too Large",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
RECV_SIZE = 65536

#: handler(method, path, query, x_forwarded_for, peer) -> Answer
Handler = Callable[[bytes, str, str, str | None, str], Answer]


@attrs.frozen
class HttpLimits:
    #: longest request target (path and query), bytes
    max_target: int = 8192
    #: largest header block (names and values), bytes
    max_header_bytes: int = 16384
    max_headers: int = 100
    #: largest request body, bytes (bodies are read and ignored)
    max_body: int = 65536
    #: a request must arrive completely within this many seconds of its first byte
    request_timeout: float = 10.0
    #: an idle keep-alive connection is closed after this many seconds
    keepalive_timeout: float = 30.0
    #: seconds to push out one answer before giving up on the client
    send_timeout: float = 30.0
    #: open connections per worker process
    max_connections: int = 1024
    #: seconds granted to answers in flight when stopping
    shutdown_grace: float = 5.0

    @property
    def max_request_bytes(self) -> int:
        return self.max_target + self.max_header_bytes + self.max_body + 4096


class _Rejected(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class _Parse:
    """httptools callbacks for one connection; completed requests gather in ``done``."""

    __slots__ = ("limits", "parser", "url", "xff", "header_bytes", "headers", "body", "done",
                 "in_message", "error_status")

    def __init__(self, limits: HttpLimits) -> None:
        self.limits = limits
        self.parser: Any = httptools.HttpRequestParser(self)
        self.done: list[tuple[bytes, bytes, bytes | None, bool]] = []
        self.in_message = False
        self.error_status = 400
        self._reset()

    def _reset(self) -> None:
        self.url = b""
        self.xff: bytes | None = None
        self.header_bytes = 0
        self.headers = 0
        self.body = 0

    def on_message_begin(self) -> None:
        self._reset()
        self.in_message = True

    def on_url(self, url: bytes) -> None:
        self.url += url
        if len(self.url) > self.limits.max_target:
            self.error_status = 414
            raise _Rejected(414)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers += 1
        self.header_bytes += len(name) + len(value)
        if self.headers > self.limits.max_headers or (
            self.header_bytes > self.limits.max_header_bytes
        ):
            self.error_status = 431
            raise _Rejected(431)
        if self.xff is None and name.lower() == b"x-forwarded-for":
            self.xff = value

    def on_body(self, body: bytes) -> None:
        self.body += len(body)
        if self.body > self.limits.max_body:
            self.error_status = 413
            raise _Rejected(413)

    def on_message_complete(self) -> None:
        self.in_message = False
        parser = self.parser
        self.done.append((parser.get_method(), self.url, self.xff, parser.should_keep_alive()))


def encode_answer(answer: Answer, *, keep_alive: bool, head_only: bool = False) -> bytes:
    body = answer.body.encode("utf-8", "surrogateescape")
    lines = [f"HTTP/1.1 {answer.status} {REASONS.get(answer.status, 'Unknown')}\r\n"]
    if answer.content_type is not None:
        lines.append(f"Content-Type: {answer.content_type}\r\n")
    lines.append(f"Content-Length: {len(body)}\r\nDate: {http_date()}\r\n")
    if answer.generation is not None:
        lines.append(f"X-MirrorList-Generation: {answer.generation}\r\n")
    if answer.location is not None:
        lines.append(f"Location: {answer.location}\r\n")
    if not keep_alive:
        lines.append("Connection: close\r\n")
    lines.append("\r\n")
    head = "".join(lines).encode("utf-8", "surrogateescape")
    return head if head_only else head + body


def _plain(status: int, text: str) -> bytes:
    return encode_answer(Answer(status, "text/plain", text), keep_alive=False)


class HttpServer:
    def __init__(self, handler: Handler, limits: HttpLimits | None = None) -> None:
        self.handler = handler
        self.limits = limits or HttpLimits()
        self.closing = False
        self.open_connections = 0
        self.served = 0
        self.evicted = 0
        self.errors = 0
        #: connections waiting for (the rest of) a request: id -> cancel scope, oldest first
        self._waiting: dict[int, trio.CancelScope] = {}
        self._idle = trio.Event()
        self._next_id = 0

    async def serve(
        self,
        listener: trio.socket.SocketType,
        stop: trio.Event,
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Accept and answer until ``stop`` is set, then stop gracefully."""
        async with trio.open_nursery() as connections:
            async with trio.open_nursery() as acceptor:
                acceptor.start_soon(self._accept_loop, listener, connections)
                task_status.started()
                await stop.wait()
                acceptor.cancel_scope.cancel()
            self.closing = True
            for scope in list(self._waiting.values()):
                scope.cancel()
            with trio.move_on_after(self.limits.shutdown_grace):
                while self.open_connections:
                    self._idle = trio.Event()
                    await self._idle.wait()
            connections.cancel_scope.cancel()

    async def _accept_loop(self, listener: trio.socket.SocketType, nursery: trio.Nursery) -> None:
        while True:
            try:
                sock, address = await listener.accept()
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    log.warning("event=accept_failed error=%s", exc.strerror)
                    await trio.sleep(0.1)
                    continue
                if exc.errno in (errno.ECONNABORTED, errno.EPROTO, errno.EPERM):
                    continue
                raise
            if self.open_connections >= self.limits.max_connections and not self._evict():
                nursery.start_soon(self._refuse, sock)
                continue
            peer = address[0] if isinstance(address, tuple) else "127.0.0.1"
            self.open_connections += 1
            nursery.start_soon(self._connection, sock, peer)

    def _evict(self) -> bool:
        for conn_id, scope in self._waiting.items():
            del self._waiting[conn_id]
            scope.cancel()
            self.evicted += 1
            return True
        return False

    async def _refuse(self, sock: trio.socket.SocketType) -> None:
        with sock, trio.move_on_after(1):
            try:
                await sock.send(_plain(503, "too many connections\n"))
            except OSError:
                pass

    async def _reject(self, sock: trio.socket.SocketType, status: int, text: str) -> None:
        """Answer an error and close without a reset: stop writing, then read and discard
        what the client is still sending (briefly), so the kernel does not answer the unread
        bytes with an RST that would destroy our answer before the client read it."""
        if not await self._send_all(sock, _plain(status, text)):
            return
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            return
        discarded = 0
        with trio.move_on_after(1.0):
            while discarded < 4 * self.limits.max_request_bytes:
                try:
                    chunk = await sock.recv(RECV_SIZE)
                except OSError:
                    return
                if not chunk:
                    return
                discarded += len(chunk)

    async def _send_all(self, sock: trio.socket.SocketType, data: bytes) -> bool:
        view = memoryview(data)
        with trio.move_on_after(self.limits.send_timeout):
            while view:
                sent = await sock.send(view)
                view = view[sent:]
            return True
        return False

    async def _connection(self, sock: trio.socket.SocketType, peer: str) -> None:
        conn_id = self._next_id
        self._next_id += 1
        limits = self.limits
        state = _Parse(limits)
        parser = state.parser
        handler = self.handler
        try:
            with sock, trio.CancelScope() as scope:
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except OSError:
                    pass
                self._waiting[conn_id] = scope
                deadline = trio.current_time() + limits.keepalive_timeout
                received = 0
                while True:
                    data = b""
                    with trio.move_on_at(deadline):
                        try:
                            data = await sock.recv(RECV_SIZE)
                        except OSError:
                            return
                    if not data:
                        if state.in_message or received:
                            if trio.current_time() >= deadline:
                                await self._reject(sock, 408, "request timeout\n")
                        return
                    if received == 0 and not state.in_message:
                        deadline = trio.current_time() + limits.request_timeout
                    received += len(data)
                    try:
                        parser.feed_data(data)
                    except httptools.HttpParserUpgrade:
                        await self._reject(sock, 400, "upgrades are not supported\n")
                        return
                    except httptools.HttpParserError:
                        status = state.error_status
                        await self._reject(sock, status, REASONS[status] + "\n")
                        return
                    if not state.done:
                        if received > limits.max_request_bytes:
                            await self._reject(sock, 431, REASONS[431] + "\n")
                            return
                        continue
                    # one or more complete requests: answer them in order
                    self._waiting.pop(conn_id, None)
                    out = []
                    keep_alive = True
                    for method, url, xff, keep in state.done:
                        keep_alive = keep and not self.closing
                        out.append(self._answer(handler, method, url, xff, peer, keep_alive))
                        if not keep_alive:
                            break
                    state.done.clear()
                    if not await self._send_all(sock, b"".join(out)) or not keep_alive:
                        return
                    if self.closing:
                        return
                    received = 0
                    if state.in_message:
                        deadline = trio.current_time() + limits.request_timeout
                    else:
                        deadline = trio.current_time() + limits.keepalive_timeout
                    self._waiting[conn_id] = scope
        finally:
            self._waiting.pop(conn_id, None)
            self.open_connections -= 1
            if self.open_connections == 0:
                self._idle.set()

    def _answer(
        self, handler: Handler, method: bytes, url: bytes, xff: bytes | None, peer: str,
        keep_alive: bool,
    ) -> bytes:
        self.served += 1
        path, _, query = url.partition(b"?")
        try:
            answer = handler(
                method,
                path.decode("utf-8", "surrogateescape"),
                query.decode("utf-8", "surrogateescape"),
                xff.decode("latin-1") if xff is not None else None,
                peer,
            )
        except Exception:
            self.errors += 1
            log.exception("event=handler_failed url=%r", url[:200])
            answer = Answer(500, "text/plain", "internal error\n")
        return encode_answer(answer, keep_alive=keep_alive, head_only=method == b"HEAD")


def make_listener(
    host: str, port: int, *, reuse_port: bool = False, backlog: int = 1024
) -> socket.socket:
    """A bound, listening TCP socket (a stdlib socket, so it can be passed to a child)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind((host, port))
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def bound_port(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])

