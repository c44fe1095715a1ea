"""Simulated HTTP mirrors on loopback, for tests, benchmarks and the demo.

One small HTTP/1.1 server (raw trio sockets, keep-alive, HEAD and GET) serves many mirrors at
once: the first path segment names the mirror (``http://127.0.0.1:PORT/<mirror>/...``), and each
mirror maps to a directory on disk plus a :class:`Behaviour`.  Besides serving files honestly a
mirror can misbehave in the ways real mirrors do, so the crawler can be tested against them:
never answer, trickle a byte a second, send an endless body, redirect in a loop or to another
host, lie in Content-Length, or answer every request with a 200 HTML error page.

On loopback an answer comes back in microseconds; a real mirror is a network round trip away
(tens of milliseconds on the same continent), and that wait, not the CPU, is what a crawler
mostly spends its time on.  ``latency`` models it: every answer is sent that long after its
request arrived (``trio.sleep``, nothing busy), and the first answer on a connection one more
round trip later (the TCP handshake).  Default 0: answers at once.

Run standalone (the benchmark does)::

    python -m mirrormanager_devtools.mirrorserver --port 0 --mirrors mirrors.json [--latency-ms 30]

``mirrors.json`` is ``{"name": {"root": "/path", "behaviour": "normal", "latency_ms": 30}, ...}``
(``behaviour`` and ``latency_ms`` optional; a mirror's ``latency_ms`` overrides
``--latency-ms``); the server prints ``listening PORT`` on stdout once it accepts connections.
"""

from __future__ import annotations

import argparse
import enum
import json
import os
import ssl
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

import attrs
import trio

MAX_HEADER_BYTES = 16 * 1024


class Behaviour(enum.Enum):
    NORMAL = "normal"
    #: accept the connection, read the request, never answer
    HANG = "hang"
    #: answer correctly, one byte per second
    TRICKLE = "trickle"
    #: GET bodies never end (HEAD is honest)
    ENDLESS = "endless"
    #: every request redirects to itself
    REDIRECT_LOOP = "redirect_loop"
    #: every request redirects to the same path on ``other_host``
    REDIRECT_OFFHOST = "redirect_offhost"
    #: Content-Length is 1000 more than the file (HEAD and GET; GET then closes early)
    BAD_LENGTH = "bad_length"
    #: every request gets ``200 OK`` with an HTML error page
    SOFT_404 = "soft_404"
    #: answers 500 to everything
    ERROR = "error"


@attrs.frozen
class MirrorSite:
    root: Path
    behaviour: Behaviour = Behaviour.NORMAL
    #: ``host:port`` a REDIRECT_OFFHOST mirror sends clients to
    other_host: str = "127.0.0.2:9"
    #: seconds each answer waits (a modeled network round trip); ``None``: the server's
    latency: float | None = None


@attrs.define
class ServerStats:
    requests: int = 0
    connections: int = 0
    #: requests per method (``{"HEAD": 120, "GET": 3}``)
    methods: dict[str, int] = attrs.field(factory=dict)


_ERROR_PAGE = b"<html><head><title>Oops</title></head><body>Not here, sorry.</body></html>\n"


class MirrorServer:
    """Serves ``sites`` (mirror name -> :class:`MirrorSite`).

    :param latency: seconds every answer waits, for sites without their own ``latency``: a
        modeled round trip to a mirror (0: answer at once, as loopback does).
    """

    def __init__(self, sites: Mapping[str, MirrorSite], *, latency: float = 0.0) -> None:
        if latency < 0 or any(s.latency is not None and s.latency < 0 for s in sites.values()):
            raise ValueError("latency must not be negative")
        self.sites = dict(sites)
        self.latency = latency
        #: some answers wait (else no request pays for looking its latency up)
        self._modeled = latency > 0 or any(s.latency for s in self.sites.values())
        self.stats = ServerStats()

    async def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl_context: ssl.SSLContext | None = None,
        task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Listen until cancelled; ``task_status.started(port)``.  With ``ssl_context`` the
        mirrors are served over TLS (https) instead of plain HTTP."""
        tcp_listeners = await trio.open_tcp_listeners(port, host=host, backlog=1024)
        bound = tcp_listeners[0].socket.getsockname()[1]
        listeners: list[trio.abc.Listener[trio.abc.Stream]] = list(tcp_listeners)
        if ssl_context is not None:
            listeners = [
                trio.SSLListener(listener, ssl_context, https_compatible=True)
                for listener in tcp_listeners
            ]
        async with trio.open_nursery() as nursery:
            task_status.started(bound)
            await trio.serve_listeners(self._connection, listeners, handler_nursery=nursery)

    async def _connection(self, stream: trio.abc.Stream) -> None:
        self.stats.connections += 1
        buffer = b""
        #: the first answer on a connection also waits for the TCP handshake's round trip
        handshake = True
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    if len(buffer) > MAX_HEADER_BYTES:
                        return
                    with trio.move_on_after(60):
                        chunk = await stream.receive_some(65536)
                        if not chunk:
                            return
                        buffer += chunk
                        continue
                    return
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                if len(parts) != 3:
                    return
                method, target, version = parts
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                self.stats.requests += 1
                self.stats.methods[method] = self.stats.methods.get(method, 0) + 1
                keep_alive = version == "HTTP/1.1" and headers.get("connection") != "close"
                await self._round_trip(target, handshake)
                handshake = False
                keep_alive = await self._respond(stream, method, target, headers) and keep_alive
                if not keep_alive:
                    return
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            return
        finally:
            with trio.move_on_after(1):
                await stream.aclose()

    def site_latency(self, target: str) -> float:
        """The modeled round trip of the mirror a request target names."""
        name = unquote(target.split("?", 1)[0]).lstrip("/").partition("/")[0]
        site = self.sites.get(name)
        if site is None or site.latency is None:
            return self.latency
        return site.latency

    async def _round_trip(self, target: str, handshake: bool) -> None:
        """Wait as a request and its answer would on the network (nothing when 0)."""
        if not self._modeled:
            return
        latency = self.site_latency(target)
        if latency > 0:
            await trio.sleep(latency * 2 if handshake else latency)

    async def _send(self, stream: trio.abc.Stream, data: bytes, trickle: bool) -> None:
        if not trickle:
            await stream.send_all(data)
            return
        for index in range(len(data)):
            await stream.send_all(data[index : index + 1])
            await trio.sleep(1)

    async def _respond(
        self, stream: trio.abc.Stream, method: str, target: str, headers: dict[str, str]
    ) -> bool:
        """Answer one request; ``False`` when the connection must be closed."""
        path = unquote(target.split("?", 1)[0])
        name, _, rest = path.lstrip("/").partition("/")
        site = self.sites.get(name)
        if site is None or method not in ("GET", "HEAD"):
            await self._simple(stream, method, 404, b"no such mirror\n")
            return True
        behaviour = site.behaviour
        if behaviour is Behaviour.HANG:
            await trio.sleep_forever()
        if behaviour is Behaviour.ERROR:
            await self._simple(stream, method, 500, b"internal error\n")
            return True
        if behaviour is Behaviour.REDIRECT_LOOP:
            await self._redirect(stream, target)
            return True
        if behaviour is Behaviour.REDIRECT_OFFHOST:
            await self._redirect(stream, f"http://{site.other_host}{target}")
            return True
        if behaviour is Behaviour.SOFT_404:
            await self._simple(stream, method, 200, _ERROR_PAGE, "text/html")
            return True
        file_path = _resolve(site.root, rest)
        # one stat per request, as a real server's open + fstat
        try:
            info = os.stat(file_path) if file_path is not None else None
        except OSError:
            info = None
        if info is not None and stat.S_ISDIR(info.st_mode):
            names = sorted(p.name + ("/" if p.is_dir() else "") for p in file_path.iterdir())
            links = "".join(f'<a href="{n}">{n}</a>\n' for n in names)
            await self._simple(stream, method, 200, f"<html><body>{links}</body></html>".encode(), "text/html")
            return True
        if info is None or not stat.S_ISREG(info.st_mode):
            await self._simple(stream, method, 404, b"not found\n")
            return True
        size = info.st_size
        trickle = behaviour is Behaviour.TRICKLE
        if behaviour is Behaviour.ENDLESS and method == "GET":
            head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n"
            await stream.send_all(head.encode())
            block = b"x" * 65536
            while True:
                await stream.send_all(block)
        claimed = size + 1000 if behaviour is Behaviour.BAD_LENGTH else size
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Length: {claimed}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        if method != "GET":
            await self._send(stream, head.encode(), trickle)
            return True
        body = await trio.Path(file_path).read_bytes()
        await self._send(stream, head.encode() + body, trickle)
        return claimed == size

    async def _simple(
        self,
        stream: trio.abc.Stream,
        method: str,
        status: int,
        body: bytes,
        content_type: str = "text/plain",
    ) -> None:
        reason = {200: "OK", 404: "Not Found", 500: "Internal Server Error"}[status]
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(body)}\r\n"
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        await stream.send_all(head + (body if method == "GET" else b""))

    async def _redirect(self, stream: trio.abc.Stream, location: str) -> None:
        head = f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
        await stream.send_all(head.encode())


def _resolve(root: Path, relative: str) -> Path | None:
    """``root/relative`` unless it escapes ``root``."""
    candidate = os.path.normpath(os.path.join(root, relative))
    if candidate != str(root) and not candidate.startswith(str(root).rstrip("/") + "/"):
        return None
    return Path(candidate)


def load_sites(path: Path) -> dict[str, MirrorSite]:
    raw = json.loads(path.read_text())
    return {
        name: MirrorSite(
            root=Path(spec["root"]).resolve(),
            behaviour=Behaviour(spec.get("behaviour", "normal")),
            other_host=spec.get("other_host", "127.0.0.2:9"),
            latency=spec["latency_ms"] / 1000 if spec.get("latency_ms") is not None else None,
        )
        for name, spec in raw.items()
    }


async def _main(args: argparse.Namespace) -> None:
    server = MirrorServer(load_sites(Path(args.mirrors)), latency=args.latency_ms / 1000)
    async with trio.open_nursery() as nursery:
        port = await nursery.start(server.serve, args.host, args.port)
        print(f"listening {port}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="simulated HTTP mirrors on loopback")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--mirrors", required=True, help="JSON file: name -> {root, behaviour, latency_ms}"
    )
    parser.add_argument(
        "--latency-ms", type=float, default=0.0,
        help="delay every answer this long: a modeled network round trip (default 0)",
    )
    args = parser.parse_args(argv)
    if args.latency_ms < 0:
        parser.error("--latency-ms must not be negative")
    try:
        trio.run(_main, args)
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
