"""Which address families a mirror URL answers on: IPv4, IPv6, both.

For each URL the crawler checks, the host name is resolved and one TCP connection is tried to the
first address of each family (bounded by ``connect_timeout``); the result is recorded per host
category URL, so the list server can send IPv6-only clients to mirrors that answer over IPv6
(MirrorManager issue #306).  A family the name has no address for is "not offered" (``None``),
an address that refuses or does not answer in time is "does not answer" (``False``).
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import attrs
import trio

#: ports of the schemes the crawler handles, when the URL gives none
DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "rsync": 873}


@attrs.frozen
class UrlFamilies:
    """What one URL answered on: ``True`` answers, ``False`` offered but not answering,
    ``None`` not offered (the name has no address of that family)."""

    url: str
    ipv4: bool | None
    ipv6: bool | None


async def _connects(family: socket.AddressFamily, address: tuple, timeout: float) -> bool:
    sock = trio.socket.socket(family, socket.SOCK_STREAM)
    try:
        with trio.move_on_after(timeout):
            await sock.connect(address)
            return True
        return False
    except OSError:
        return False
    finally:
        sock.close()


async def probe_endpoint(host: str, port: int, timeout: float) -> tuple[bool | None, bool | None]:
    """``(ipv4, ipv6)`` for one host name (or address literal) and port."""
    try:
        with trio.fail_after(timeout):
            infos = await trio.socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, trio.TooSlowError):
        return None, None
    first: dict[socket.AddressFamily, tuple] = {}
    for family, _type, _proto, _name, address in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            first.setdefault(family, address)
    results: dict[socket.AddressFamily, bool] = {}

    async def try_family(family: socket.AddressFamily, address: tuple) -> None:
        results[family] = await _connects(family, address, timeout)

    async with trio.open_nursery() as nursery:
        for family, address in first.items():
            nursery.start_soon(try_family, family, address)
    return results.get(socket.AF_INET), results.get(socket.AF_INET6)


def endpoint_of(url: str) -> tuple[str, int] | None:
    """``(host, port)`` of a crawlable URL, ``None`` when it has no host."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.hostname, port or DEFAULT_PORTS.get(parts.scheme.lower(), 0)


class FamilyProbe:
    """Probes URLs once per (host, port) within one host's crawl."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._seen: dict[tuple[str, int], tuple[bool | None, bool | None]] = {}
        self._pending: dict[tuple[str, int], trio.Event] = {}

    async def warm(self, url: str) -> None:
        """Probe ``url``'s endpoint now (the crawler warms every URL of a host concurrently)."""
        await self.probe(url)

    async def probe(self, url: str) -> UrlFamilies | None:
        """``url``'s families, probing its endpoint unless already done; ``None`` for a URL
        without a host or port."""
        endpoint = endpoint_of(url)
        if endpoint is None or not endpoint[1]:
            return None
        if endpoint not in self._seen:
            pending = self._pending.get(endpoint)
            if pending is None:
                pending = self._pending[endpoint] = trio.Event()
                try:
                    self._seen[endpoint] = await probe_endpoint(*endpoint, self.timeout)
                finally:
                    pending.set()
            else:
                await pending.wait()
        ipv4, ipv6 = self._seen.get(endpoint, (None, None))
        return UrlFamilies(url, ipv4, ipv6)
