"""A small HTTP/1.1 server on non-blocking sockets in one trio task (Linux ``epoll``), parsing
with httptools (llhttp).

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
import select
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
#: seconds between two checks of the connections' deadlines (their precision)
SWEEP_INTERVAL = 0.05

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


class _Connection:
    """One client connection of the event loop."""

    __slots__ = ("sock", "fd", "peer", "state", "received", "phase", "deadline", "pending",
                 "close_after")

    def __init__(self, sock: socket.socket, peer: str, limits: HttpLimits, deadline: float):
        self.sock = sock
        self.fd = sock.fileno()
        self.peer = peer
        self.state = _Parse(limits)
        #: bytes received since the last answer
        self.received = 0
        #: "idle" (between requests), "request" (part of one received) or "send"
        self.phase = "idle"
        #: when the current phase times out (trio clock)
        self.deadline = deadline
        #: the rest of an answer the kernel did not take yet
        self.pending: memoryview | None = None
        #: the answer being sent said ``Connection: close``
        self.close_after = False


class HttpServer:
    """All connections of a worker in one trio task: an ``epoll`` instance holds the listening
    socket and every connection (level-triggered, registered once), trio waits until that
    epoll descriptor is readable, and the ready sockets are then served in one batch --
    receive, parse, answer, send -- without a task switch or an ``epoll_ctl`` per request.
    Deadlines are checked by a sweep every :data:`SWEEP_INTERVAL` seconds.  Error answers that
    need a graceful close (drain what the client still sends) and the 503 of a refused
    connection run as small tasks of their own."""

    def __init__(self, handler: Handler, limits: HttpLimits | None = None) -> None:
        self.handler = handler
        self.limits = limits or HttpLimits()
        self.closing = False
        self.open_connections = 0
        self.served = 0
        self.evicted = 0
        self.errors = 0
        self._connections: dict[int, _Connection] = {}
        #: connections waiting for (the rest of) a request, longest waiting first
        self._waiting: dict[int, _Connection] = {}
        self._epoll: select.epoll | None = None
        self._wait_scope: trio.CancelScope | None = None
        self._stopping = False

    async def serve(
        self,
        listener: socket.socket,
        stop: trio.Event,
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Accept (from a listening stdlib socket) and answer until ``stop`` is set, then stop
        gracefully: no more accepts, connections without an answer in progress closed,
        answers in progress given ``shutdown_grace`` seconds."""
        listener.setblocking(False)
        epoll = self._epoll = select.epoll()
        listen_fd = listener.fileno()
        try:
            epoll.register(listen_fd, select.EPOLLIN)
            async with trio.open_nursery() as helpers:
                helpers.start_soon(self._watch_stop, stop)
                task_status.started()
                await self._loop(listener, helpers)
                helpers.cancel_scope.deadline = trio.current_time() + self.limits.shutdown_grace
        finally:
            for conn in list(self._connections.values()):
                self._close(conn)
            epoll.close()
            self._epoll = None

    async def _watch_stop(self, stop: trio.Event) -> None:
        await stop.wait()
        self._stopping = True
        if self._wait_scope is not None:
            self._wait_scope.cancel()

    async def _loop(self, listener: socket.socket, helpers: trio.Nursery) -> None:
        epoll = self._epoll
        assert epoll is not None
        listen_fd = listener.fileno()
        connections = self._connections
        limits = self.limits
        next_sweep = trio.current_time() + SWEEP_INTERVAL
        resume_accept = 0.0
        grace_end = math.inf
        while True:
            if self._stopping and not self.closing:
                self.closing = True
                grace_end = trio.current_time() + limits.shutdown_grace
                if resume_accept == 0.0:
                    epoll.unregister(listen_fd)
                resume_accept = math.inf
                for conn in list(connections.values()):
                    if conn.phase != "send":
                        self._close(conn)
            if self.closing and not connections:
                return
            with trio.CancelScope(deadline=min(next_sweep, grace_end)) as scope:
                self._wait_scope = scope
                if self._stopping and not self.closing:
                    scope.cancel()
                await trio.lowlevel.wait_readable(epoll)
            self._wait_scope = None
            now = trio.current_time()
            if now >= grace_end:
                return
            for fd, events in epoll.poll(0):
                if fd == listen_fd:
                    if not self._accept(listener, helpers, now):
                        epoll.unregister(listen_fd)
                        resume_accept = now + 0.1
                    continue
                conn = connections.get(fd)
                if conn is None:
                    continue
                if conn.phase == "send":
                    self._send_more(conn, now)
                else:
                    self._receive(conn, helpers, now)
            if now >= next_sweep:
                next_sweep = now + SWEEP_INTERVAL
                self._sweep(helpers, now)
                if resume_accept and now >= resume_accept:
                    epoll.register(listen_fd, select.EPOLLIN)
                    resume_accept = 0.0

    # -- connections ----------------------------------------------------------------------

    def _accept(self, listener: socket.socket, helpers: trio.Nursery, now: float) -> bool:
        """Accept what is waiting (up to a batch); ``False``: pause accepting (out of fds)."""
        limits = self.limits
        for _ in range(64):
            try:
                sock, address = listener.accept()
            except BlockingIOError:
                return True
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    log.warning("event=accept_failed error=%s", exc.strerror)
                    return False
                if exc.errno in (errno.ECONNABORTED, errno.EPROTO, errno.EPERM):
                    continue
                raise
            sock.setblocking(False)
            if self.open_connections >= limits.max_connections and not self._evict():
                helpers.start_soon(self._refuse, sock)
                continue
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            peer = address[0] if isinstance(address, tuple) else "127.0.0.1"
            conn = _Connection(sock, peer, limits, now + limits.keepalive_timeout)
            self._connections[conn.fd] = conn
            self._waiting[conn.fd] = conn
            self.open_connections += 1
            assert self._epoll is not None
            self._epoll.register(conn.fd, select.EPOLLIN)
        return True

    def _close(self, conn: _Connection) -> None:
        if self._connections.pop(conn.fd, None) is None:
            return
        self._waiting.pop(conn.fd, None)
        self.open_connections -= 1
        if self._epoll is not None:
            try:
                self._epoll.unregister(conn.fd)
            except OSError:
                pass
        conn.sock.close()

    def _hand_over(self, conn: _Connection, helpers: trio.Nursery, status: int, text: str) -> None:
        """Leave the loop with an error answer and a graceful close (a task of its own)."""
        if self._connections.pop(conn.fd, None) is None:
            return
        self._waiting.pop(conn.fd, None)
        self.open_connections -= 1
        assert self._epoll is not None
        try:
            self._epoll.unregister(conn.fd)
        except OSError:
            pass
        helpers.start_soon(self._reject, conn.sock, status, text)

    def _evict(self) -> bool:
        for conn in self._waiting.values():
            self._close(conn)
            self.evicted += 1
            return True
        return False

    def _sweep(self, helpers: trio.Nursery, now: float) -> None:
        for conn in [c for c in self._connections.values() if c.deadline <= now]:
            if conn.phase == "request":
                self._hand_over(conn, helpers, 408, "request timeout\n")
            else:
                self._close(conn)

    def _receive(self, conn: _Connection, helpers: trio.Nursery, now: float) -> None:
        try:
            data = conn.sock.recv(RECV_SIZE)
        except BlockingIOError:
            return
        except OSError:
            self._close(conn)
            return
        if not data:
            self._close(conn)
            return
        conn.received += len(data)
        state = conn.state
        try:
            state.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._hand_over(conn, helpers, 400, "upgrades are not supported\n")
            return
        except httptools.HttpParserError:
            status = state.error_status
            self._hand_over(conn, helpers, status, REASONS[status] + "\n")
            return
        limits = self.limits
        if not state.done:
            if conn.received > limits.max_request_bytes:
                self._hand_over(conn, helpers, 431, REASONS[431] + "\n")
            elif conn.phase == "idle":
                conn.phase = "request"
                conn.deadline = now + limits.request_timeout
            return
        # one or more complete requests: answer them in order
        self._waiting.pop(conn.fd, None)
        out = []
        keep_alive = True
        handler = self.handler
        for method, url, xff, keep in state.done:
            keep_alive = keep and not self.closing
            out.append(self._answer(handler, method, url, xff, conn.peer, keep_alive))
            if not keep_alive:
                break
        state.done.clear()
        answer = out[0] if len(out) == 1 else b"".join(out)
        try:
            sent = conn.sock.send(answer)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._close(conn)
            return
        conn.close_after = not keep_alive
        if sent < len(answer):
            conn.pending = memoryview(answer)[sent:]
            conn.phase = "send"
            conn.deadline = now + limits.send_timeout
            assert self._epoll is not None
            self._epoll.modify(conn.fd, select.EPOLLOUT)
            return
        self._answered(conn, now)

    def _send_more(self, conn: _Connection, now: float) -> None:
        pending = conn.pending
        assert pending is not None
        try:
            sent = conn.sock.send(pending)
        except BlockingIOError:
            return
        except OSError:
            self._close(conn)
            return
        if sent < len(pending):
            conn.pending = pending[sent:]
            return
        conn.pending = None
        assert self._epoll is not None
        self._epoll.modify(conn.fd, select.EPOLLIN)
        self._answered(conn, now)

    def _answered(self, conn: _Connection, now: float) -> None:
        """After an answer went out completely: close, or wait for the next request."""
        state = conn.state
        if conn.close_after or self.closing:
            self._close(conn)
            return
        conn.received = 0
        if state.in_message:
            conn.phase = "request"
            conn.deadline = now + self.limits.request_timeout
        else:
            conn.phase = "idle"
            conn.deadline = now + self.limits.keepalive_timeout
        self._waiting[conn.fd] = conn

    async def _refuse(self, sock: socket.socket) -> None:
        with sock, trio.move_on_after(1):
            await self._send_now(sock, _plain(503, "too many connections\n"))

    async def _reject(self, sock: socket.socket, status: int, text: str) -> None:
        """Answer an error and close without a reset: stop writing, then read and discard
        what the client is still sending (briefly), so the kernel does not answer the unread
        bytes with an RST that would destroy our answer before the client read it."""
        with sock:
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

