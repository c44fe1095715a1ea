"""Which ``X-Forwarded-For`` header to believe: ``[mirrorlist] trust_forwarded_for`` and
``trusted_proxies``.

With no trusted proxies listed, the last element of any peer's header is the client
(upstream's behaviour, for a server reachable only through its proxies).  With a list, only a
peer in it is believed, and the chain is read from the right: every element that is itself a
trusted proxy (a proxy chain, IPv4 or IPv6) is skipped, the first one that is not is the
client.  A peer on a dual-stack socket (``::ffff:a.b.c.d``) is matched as its IPv4 address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import attrs

from mirrormanager_mirrorlist.config import MirrorlistConfig

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@attrs.frozen
class ForwardedFor:
    #: believe the header at all
    trusted: bool = True
    #: peers whose header is believed; empty: every peer's
    proxies: tuple[Network, ...] = ()

    @classmethod
    def from_settings(cls, settings: MirrorlistConfig) -> ForwardedFor:
        return cls(settings.trust_forwarded_for,
                   tuple(ipaddress.ip_network(n, strict=False) for n in settings.trusted_proxies))

    def _is_proxy(self, text: str) -> bool:
        address = _address(text)
        return address is not None and any(address in network for network in self.proxies)

    def client(self, header: str | None, peer: str) -> str | None:
        """What of the header names the client (its last element is taken by
        ``targets.identify_client``), or ``None``: no header, or one not to believe (the peer
        is then the client)."""
        if header is None or not self.trusted:
            return None
        if not self.proxies:
            return header  # upstream: its last ", "-separated element, as it is
        if not self._is_proxy(peer):
            return None
        chain: Sequence[str] = header.split(",")
        for element in reversed(chain):
            if not self._is_proxy(element):
                return element.strip()
        return chain[0].strip()  # proxies all the way: the first hop is the best we know
