"""A small HTTP/1.1 server on non-blocking sockets in one trio task (Linux ``epoll``), parsing
with httptools (llhttp).

Only what the list server needs: keep-alive and pipelining, GET/HEAD/POST treated alike, request
size limits (request target, header block, body, total), a read deadline per request and an idle
deadline between requests, a bound on open connections (at the bound, the connection that has been
waiting longest for its next request is closed to make room; if none is waiting the newcomer gets
503), fairness between connections (at most ``pipeline_batch`` pipelined answers per connection
in one turn of the loop), and a graceful stop: no more accepts, idle connections closed, answers
in flight finished within a grace period.

The application is a :data:`~.httpmessages.Handler`: :class:`~.httpmessages.Request` in,
:class:`~.httpmessages.Answer` out; this module imports nothing of it.
"""

from __future__ import annotations

import errno
import logging
import math
import select
import socket
import time
from collections.abc import Sequence

import httptools
import trio

from mirrormanager_mirrorlist.config import MirrorlistConfig
from mirrormanager_mirrorlist.httpmessages import (
    REASONS,
    Answer,
    Handler,
    Request,
    encode_answer,
    plain_answer,
)
from mirrormanager_mirrorlist.httpclose import refuse, reject
from mirrormanager_mirrorlist.httpparse import Parsed, RequestParser

log = logging.getLogger(__name__)

#: bytes read from a connection at a time (at most ~300 pipelined requests to parse at once)
RECV_SIZE = 16384
#: seconds between two checks of the connections' deadlines (their precision)
SWEEP_INTERVAL = 0.05
#: seconds of a turn spent on pipelined requests queued in earlier turns (then the loop polls)
QUEUED_SLICE = 0.005


class _Connection:
    """One client connection of the event loop."""

    __slots__ = ("sock", "fd", "peer", "state", "received", "phase", "deadline", "pending",
                 "close_after", "events")

    def __init__(self, sock: socket.socket, peer: str, limits: MirrorlistConfig, deadline: float):
        self.sock = sock
        self.fd = sock.fileno()
        self.peer = peer
        self.state = RequestParser(limits)
        #: bytes received since the last answer
        self.received = 0
        #: "idle" (between requests), "request" (part of one received), "send" (an answer
        #: the kernel did not take at once) or "queued" (parsed requests wait for their turn)
        self.phase = "idle"
        #: when the current phase times out (trio clock)
        self.deadline = deadline
        #: the rest of an answer the kernel did not take yet
        self.pending: memoryview | None = None
        #: the answer being sent said ``Connection: close``
        self.close_after = False
        #: what the epoll instance watches for: EPOLLIN, EPOLLOUT ("send") or nothing ("queued")
        self.events = select.EPOLLIN


class HttpServer:
    """All connections of a worker in one trio task: an ``epoll`` instance holds the listening
    socket and every connection (level-triggered, registered once), trio waits until that
    epoll descriptor is readable, and the ready sockets are then served in one batch --
    receive, parse, answer, send -- without a task switch or an ``epoll_ctl`` per request.
    Deadlines are checked by a sweep every :data:`SWEEP_INTERVAL` seconds.  Error answers that
    need a graceful close (drain what the client still sends) and the 503 of a refused
    connection run as small tasks of their own.

    Fairness: a turn first serves the connections with new data, each at most
    ``limits.pipeline_batch`` answers; requests a connection pipelined beyond that stay parsed
    and queued, and the connection is not read meanwhile.  Then the connections queued before
    this turn get their next ``pipeline_batch`` answers each, round robin, for at most
    :data:`QUEUED_SLICE` seconds; the rest keep their place for the next turn.  So a request
    that arrives waits for about two turns, each at most ``pipeline_batch`` answers per
    connection that sent new data plus ``QUEUED_SLICE``, however much others pipelined."""

    def __init__(self, handler: Handler, limits: MirrorlistConfig | None = None) -> None:
        self.handler = handler
        #: the ``[mirrorlist]`` settings: only the limits are read here
        self.limits = limits or MirrorlistConfig()
        self.closing = False
        self.open_connections = 0
        self.served = 0
        self.evicted = 0
        self.errors = 0
        self._connections: dict[int, _Connection] = {}
        #: connections waiting for (the rest of) a request, longest waiting first
        self._waiting: dict[int, _Connection] = {}
        #: connections with parsed requests waiting for their next turn, in arrival order
        self._queued: dict[int, _Connection] = {}
        self._epoll: select.epoll | None = None
        self._wait_scope: trio.CancelScope | None = None
        self._stopping = False

    async def serve(
        self,
        listeners: Sequence[socket.socket],
        stop: trio.Event,
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Accept (from listening stdlib sockets, one per address) and answer until ``stop`` is set, then stop
        gracefully: no more accepts, connections without an answer in progress closed,
        answers in progress given ``shutdown_grace`` seconds."""
        by_fd = {listener.fileno(): listener for listener in listeners}
        epoll = self._epoll = select.epoll()
        try:
            for fd, listener in by_fd.items():
                listener.setblocking(False)
                epoll.register(fd, select.EPOLLIN)
            async with trio.open_nursery() as helpers:
                helpers.start_soon(self._watch_stop, stop)
                task_status.started()
                await self._loop(by_fd, helpers)
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

    async def _loop(self, listeners: dict[int, socket.socket], helpers: trio.Nursery) -> None:
        epoll = self._epoll
        assert epoll is not None
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
                    for fd in listeners:
                        epoll.unregister(fd)
                resume_accept = math.inf
                for conn in list(connections.values()):
                    if conn.phase != "send":
                        self._close(conn)
            if self.closing and not connections:
                return
            queued = self._queued
            if queued:
                await trio.lowlevel.checkpoint()  # other tasks run; nothing to wait for
            else:
                with trio.CancelScope(deadline=min(next_sweep, grace_end)) as scope:
                    self._wait_scope = scope
                    if self._stopping and not self.closing:
                        scope.cancel()
                    await trio.lowlevel.wait_readable(epoll)
                self._wait_scope = None
            now = trio.current_time()
            if now >= grace_end:
                return
            waiting_turn = list(queued.values()) if queued else None
            for fd, events in epoll.poll(0):
                listener = listeners.get(fd)
                if listener is not None:
                    if resume_accept == 0.0 and not self._accept(listener, helpers, now):
                        for listen_fd in listeners:  # out of descriptors: pause every address
                            epoll.unregister(listen_fd)
                        resume_accept = now + 0.1
                    continue
                conn = connections.get(fd)
                if conn is None:
                    continue
                if conn.phase == "send":
                    self._send_more(conn, now)
                elif conn.phase == "queued":
                    self._close(conn)  # EPOLLHUP / EPOLLERR: the client is gone
                else:
                    self._receive(conn, helpers, now)
            if waiting_turn:
                self._serve_queued(waiting_turn, now)
            if now >= next_sweep:
                next_sweep = now + SWEEP_INTERVAL
                self._sweep(helpers, now)
                if resume_accept and now >= resume_accept:
                    for listen_fd in listeners:
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
                helpers.start_soon(refuse, sock)
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

    def _forget(self, conn: _Connection) -> bool:
        """Take the connection out of the loop (its socket stays open); ``False`` if it was."""
        if self._connections.pop(conn.fd, None) is None:
            return False
        self._waiting.pop(conn.fd, None)
        self._queued.pop(conn.fd, None)
        self.open_connections -= 1
        conn.state.release()
        if self._epoll is not None:
            try:
                self._epoll.unregister(conn.fd)
            except OSError:
                pass
        return True

    def _close(self, conn: _Connection) -> None:
        if self._forget(conn):
            conn.sock.close()

    def _hand_over(self, conn: _Connection, helpers: trio.Nursery, status: int, text: str) -> None:
        """Leave the loop with an error answer and a graceful close (a task of its own)."""
        if self._forget(conn):
            helpers.start_soon(reject, conn.sock, plain_answer(status, text), self.limits)

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

    def _serve_queued(self, turn: list[_Connection], now: float) -> None:
        """The next share of the connections whose pipelined requests wait (queued before
        this turn), round robin, for at most :data:`QUEUED_SLICE` seconds; the others keep
        their place for the next turn."""
        queued = self._queued
        end = time.perf_counter() + QUEUED_SLICE
        for conn in turn:
            if queued.pop(conn.fd, None) is None:
                continue  # closed meanwhile
            self._answer_turn(conn, now)  # queued again at the end while requests remain
            if time.perf_counter() >= end:
                return

    def _watch(self, conn: _Connection, events: int) -> None:
        if conn.events != events:
            assert self._epoll is not None
            self._epoll.modify(conn.fd, events)
            conn.events = events

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
            state.feed(data)
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
        self._waiting.pop(conn.fd, None)
        self._answer_turn(conn, now)

    def _answer_turn(self, conn: _Connection, now: float) -> None:
        """Answer the connection's parsed requests, at most ``pipeline_batch`` of them, in
        order, and send the answers (one ``send``)."""
        done = conn.state.done
        batch = done[: self.limits.pipeline_batch]
        del done[: len(batch)]
        out = []
        keep_alive = True
        handler = self.handler
        for parsed in batch:
            keep_alive = parsed.keep_alive and not self.closing
            out.append(self._answer(handler, parsed, conn.peer, keep_alive))
            if not keep_alive:
                done.clear()  # nothing after a request that closes the connection
                break
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
            conn.deadline = now + self.limits.send_timeout
            self._watch(conn, select.EPOLLOUT)
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
        self._answered(conn, now)

    def _answered(self, conn: _Connection, now: float) -> None:
        """After answers went out completely: close, queue the connection for its next turn
        (more requests are parsed), or wait for its next request."""
        state = conn.state
        if conn.close_after or self.closing:
            self._close(conn)
            return
        limits = self.limits
        if state.done:
            conn.phase = "queued"
            conn.deadline = now + limits.send_timeout
            self._watch(conn, 0)  # nothing read until the queue is answered
            self._queued[conn.fd] = conn
            return
        self._watch(conn, select.EPOLLIN)
        conn.received = 0
        if state.in_message:
            conn.phase = "request"
            conn.deadline = now + limits.request_timeout
        else:
            conn.phase = "idle"
            conn.deadline = now + limits.keepalive_timeout
        self._waiting[conn.fd] = conn

    def _answer(self, handler: Handler, parsed: Parsed, peer: str, keep_alive: bool) -> bytes:
        self.served += 1
        path, _, query = parsed.url.partition(b"?")
        xff = parsed.forwarded_for
        accept = parsed.accept
        try:
            answer = handler(
                Request(
                    path.decode("utf-8", "surrogateescape"),
                    query.decode("utf-8", "surrogateescape"),
                    xff.decode("latin-1") if xff is not None else None,
                    peer,
                    parsed.method,
                    accept.decode("latin-1") if accept is not None else None,
                )
            )
        except Exception:
            self.errors += 1
            log.exception("event=handler_failed url=%r", parsed.url[:200])
            answer = Answer(500, "text/plain", "internal error\n")
        return encode_answer(answer, keep_alive=keep_alive, head_only=parsed.method == b"HEAD")
