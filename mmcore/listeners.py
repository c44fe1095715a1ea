"""Listening sockets of a server, one per configured address (stdlib sockets, so a worker
process can make its own on the ports its supervisor holds: see :mod:`mmcore.workers`).

An IPv6 socket takes IPv4 clients too (``IPV6_V6ONLY`` off) only when no IPv4 address is
listed, so ``[::]:3000`` alone answers every client and ``["0.0.0.0:3000", "[::]:3000"]``
does not collide.  Port 0 is a free port chosen by the kernel for the first address that
asks for it, and the same port for every other address with port 0; when that port is taken
on another address, the kernel is asked again (up to ``SHARED_PORT_TRIES`` times).
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Sequence

from mmcore.validators import parse_listen

Endpoint = tuple[str, int]

#: how many kernel-chosen ports are tried for a set of addresses that share port 0
SHARED_PORT_TRIES = 8


def endpoints(listen: Sequence[str]) -> list[Endpoint]:
    """``(host, port)`` of each ``HOST:PORT`` (already validated by the configuration)."""
    return [parse_listen(item) for item in listen]


def address_text(host: str, port: int) -> str:
    """``HOST:PORT`` with an IPv6 address in brackets (what ``listen`` takes)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def open_sockets(
    where: Sequence[Endpoint], *, listen: bool, reuse_port: bool, backlog: int = 1024
) -> list[socket.socket]:
    """A bound TCP socket per endpoint, listening when ``listen`` (else it only holds the port:
    bound with ``SO_REUSEPORT``, it gets no connections of its own)."""
    shares_port = sum(port == 0 for _, port in where) > 1
    for attempt in range(1, SHARED_PORT_TRIES + 1):
        try:
            return open_once(where, listen=listen, reuse_port=reuse_port, backlog=backlog)
        except OSError as error:
            # the port the kernel gave the first address may be taken on another one
            if not shares_port or error.errno != errno.EADDRINUSE or attempt == SHARED_PORT_TRIES:
                raise
    raise AssertionError("unreachable")


def open_once(
    where: Sequence[Endpoint], *, listen: bool, reuse_port: bool, backlog: int
) -> list[socket.socket]:
    dual_stack = all(":" in host for host, _ in where)
    sockets: list[socket.socket] = []
    shared_port: int | None = None
    try:
        for host, port in where:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if dual_stack else 1)
            sock.bind((host, shared_port if port == 0 and shared_port is not None else port))
            if listen:
                sock.listen(backlog)
            if port == 0 and shared_port is None:
                shared_port = bound_port(sock)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def bound_port(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


def bound_endpoints(where: Sequence[Endpoint], sockets: Sequence[socket.socket]) -> list[Endpoint]:
    """The endpoints with the ports the sockets got (port 0 resolved)."""
    return [(host, bound_port(sock)) for (host, _), sock in zip(where, sockets, strict=True)]
