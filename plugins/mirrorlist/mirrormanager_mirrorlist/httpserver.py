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
import math
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
#: read deadlines are rounded up to this many seconds, so that most requests on a busy
#: connection leave its cancel scope's deadline alone (moving it costs several microseconds)
DEADLINE_STEP = 1 / 16


def coarse(deadline: float) -> float:
    """``deadline`` rounded up to a multiple of :data:`DEADLINE_STEP`."""
    return math.ceil(deadline / DEADLINE_STEP) * DEADLINE_STEP

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


_HEADS: dict[tuple[int, str | None], str] = {}


def _head_start(status: int, content_type: str | None) -> str:
    """The status line and Content-Type header (formatted once per combination)."""
    key = (status, content_type)
    head = _HEADS.get(key)
    if head is None:
        head = f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}\r\n"
        if content_type is not None:
            head += f"Content-Type: {content_type}\r\n"
        _HEADS[key] = head
    return head


def encode_answer(answer: Answer, *, keep_alive: bool, head_only: bool = False) -> bytes:
    body = answer.body.encode("utf-8", "surrogateescape")
    head = f"{_head_start(answer.status, answer.content_type)}Content-Length: {len(body)}\r\n" \
        f"Date: {http_date()}\r\n"
    if answer.generation is not None:
        head += f"X-MirrorList-Generation: {answer.generation}\r\n"
    if answer.location is not None:
        head += f"Location: {answer.location}\r\n"
    head += "\r\n" if keep_alive else "Connection: close\r\n\r\n"
    data = head.encode("utf-8", "surrogateescape")
    return data if head_only else data + body


def _plain(status: int, text: str) -> bytes:
    return encode_answer(Answer(status, "text/plain", text), keep_alive=False)


class HttpServer:
    """Connections are plain non-blocking sockets driven by ``trio.lowlevel.wait_readable`` /
    ``wait_writable``: a receive or send is tried first and only waits when the kernel says it
    would block, and each connection has one cancel scope whose deadline is moved (request,
    keep-alive and send deadlines) instead of a scope per wait."""

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
        listener: socket.socket,
        stop: trio.Event,
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Accept (from a listening stdlib socket) and answer until ``stop`` is set, then stop
        gracefully."""
        listener.setblocking(False)
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

    async def _accept_loop(self, listener: socket.socket, nursery: trio.Nursery) -> None:
        wait_readable = trio.lowlevel.wait_readable
        while True:
            try:
                sock, address = listener.accept()
            except BlockingIOError:
                await wait_readable(listener)
                continue
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    log.warning("event=accept_failed error=%s", exc.strerror)
                    await trio.sleep(0.1)
                    continue
                if exc.errno in (errno.ECONNABORTED, errno.EPROTO, errno.EPERM):
                    continue
                raise
            sock.setblocking(False)
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

    async def _refuse(self, sock: socket.socket) -> None:
        with sock, trio.move_on_after(1):
            await self._send_now(sock, _plain(503, "too many connections\n"))

    async def _reject(self, sock: socket.socket, status: int, text: str) -> None:
        """Answer an error and close without a reset: stop writing, then read and discard
        what the client is still sending (briefly), so the kernel does not answer the unread
        bytes with an RST that would destroy our answer before the client read it."""
        with trio.move_on_after(self.limits.send_timeout):
            if not await self._send_now(sock, _plain(status, text)):
                return
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            return
        discarded = 0
        with trio.move_on_after(1.0):
            while discarded < 4 * self.limits.max_request_bytes:
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

    @staticmethod
    async def _send_now(sock: socket.socket, data: bytes) -> bool:
        """Send everything (waiting while the kernel buffer is full; the caller's scope sets
        the deadline); ``False`` when the connection broke."""
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

    async def _connection(self, sock: socket.socket, peer: str) -> None:
        conn_id = self._next_id
        self._next_id += 1
        limits = self.limits
        state = _Parse(limits)
        parser = state.parser
        handler = self.handler
        waiting = self._waiting
        now = trio.current_time
        wait_readable = trio.lowlevel.wait_readable
        #: what the scope's deadline is for: "idle", "request" or "send"
        phase = "idle"
        received = 0
        #: (status, text) of a malformed or oversized request
        reject: tuple[int, str] | None = None
        try:
            with sock:
                with trio.CancelScope(deadline=now() + limits.keepalive_timeout) as scope:
                    try:
                        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    except OSError:
                        pass
                    waiting[conn_id] = scope
                    while True:
                        try:
                            data = sock.recv(RECV_SIZE)
                        except BlockingIOError:
                            await wait_readable(sock)
                            continue
                        except OSError:
                            return
                        if not data:
                            return
                        if phase == "idle":
                            phase = "request"
                            deadline = coarse(now() + limits.request_timeout)
                            if deadline != scope.deadline:
                                scope.deadline = deadline
                        received += len(data)
                        try:
                            parser.feed_data(data)
                        except httptools.HttpParserUpgrade:
                            reject = (400, "upgrades are not supported\n")
                            break  # answered below, outside the scope
                        except httptools.HttpParserError:
                            reject = (state.error_status, REASONS[state.error_status] + "\n")
                            break
                        if not state.done:
                            if received > limits.max_request_bytes:
                                reject = (431, REASONS[431] + "\n")
                                break
                            continue
                        # one or more complete requests: answer them in order
                        waiting.pop(conn_id, None)
                        out = []
                        keep_alive = True
                        for method, url, xff, keep in state.done:
                            keep_alive = keep and not self.closing
                            out.append(self._answer(handler, method, url, xff, peer, keep_alive))
                            if not keep_alive:
                                break
                        state.done.clear()
                        data = out[0] if len(out) == 1 else b"".join(out)
                        try:
                            sent = sock.send(data)
                        except BlockingIOError:
                            sent = 0
                        except OSError:
                            return
                        if sent < len(data):
                            phase = "send"
                            scope.deadline = now() + limits.send_timeout
                            if not await self._send_now(sock, data[sent:]):
                                return
                        if not keep_alive or self.closing:
                            return
                        received = 0
                        if state.in_message:
                            phase = "request"
                            deadline = coarse(now() + limits.request_timeout)
                        else:
                            phase = "idle"
                            deadline = coarse(now() + limits.keepalive_timeout)
                        if deadline != scope.deadline:
                            scope.deadline = deadline
                        waiting[conn_id] = scope
                        # let other connections run when a client keeps pipelining
                        await trio.lowlevel.checkpoint()
                    # a malformed or oversized request: answered outside the scope
                    waiting.pop(conn_id, None)
                    scope.deadline = float("inf")
                if reject is not None:
                    await self._reject(sock, *reject)
                elif scope.cancelled_caught and phase == "request" and (
                    state.in_message or received
                ) and trio.current_time() >= scope.deadline:
                    await self._reject(sock, 408, "request timeout\n")
        finally:
            waiting.pop(conn_id, None)
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

