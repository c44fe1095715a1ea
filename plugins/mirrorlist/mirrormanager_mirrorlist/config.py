"""The ``[mirrorlist]`` configuration table (cache writer keys first, list-server keys after)."""

from __future__ import annotations

import ipaddress
from typing import Any

import attrs

from mmcore.validators import at_least, checked, listen_address, positive


def _networks(value: Any) -> None:
    for network in value:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise ValueError(f"{network!r} is not a network (CIDR): {exc}") from None


#: a list of networks (``192.0.2.0/24``, ``2001:db8::/32``, or single addresses)
networks = checked(_networks)


@attrs.frozen
class MirrorlistConfig:
    """``[mirrorlist]``: where the protobuf cache lives and how it is written and served."""

    # ---- cache writer (``mirrormanager cache write``) -------------------------------------
    #: the protobuf cache file written by ``cache write`` and read by ``serve mirrorlist``
    cache_path: str = "var/mirrorlist_cache.proto"
    #: seconds allowed for resolving every host netblock given as a DNS name, all together;
    #: names not resolved by then are left out (and logged)
    dns_timeout: float = attrs.field(default=5.0, validator=positive)
    #: names resolved in parallel
    dns_workers: int = attrs.field(default=16, validator=at_least(1))

    # ---- list server (``mirrormanager serve mirrorlist``) ---------------------------------
    #: ``HOST:PORT`` to listen on (``[::]:3000`` for every IPv6 and IPv4 address)
    listen: str = attrs.field(default="127.0.0.1:3000", validator=listen_address)
    #: worker processes sharing the port (SO_REUSEPORT); 1 serves from the main process
    workers: int = attrs.field(default=1, validator=at_least(1))
    #: below this many usable hosts the global list is added (upstream ``--minimum``)
    minimum: int = attrs.field(default=5, validator=at_least(0))
    #: MaxMind GeoIP2/GeoLite2 Country database; "" = no GeoIP (every client is ``N/A``)
    geoip: str = ""
    #: ``global_netblocks.txt`` (``CIDR ASN`` lines) for ASN matching; "" = no ASN matching
    netblocks: str = ""
    #: ``country_continent.csv``; "" = the table shipped with the core (upstream's content, plus XK)
    continents: str = ""
    #: access-statistics log in upstream's format; "" = no access log
    access_log: str = "var/mirrorlist.log"
    #: seconds between checks of the input files for changes (0: reload only on SIGHUP)
    watch_interval: float = attrs.field(default=2.0, validator=at_least(0))
    #: bound of the per-directory view cache (views, plans, metalink templates), in entries
    view_capacity: int = attrs.field(default=4_000_000, validator=at_least(1))
    #: parse every cache entry at load time (rejects schema violations; costs load time)
    validate_cache: bool = True
    #: take the client address from the last ``X-Forwarded-For`` element (upstream behaviour)
    trust_forwarded_for: bool = True
    #: start and answer 503 until a valid cache appears, instead of failing at start
    allow_missing_cache: bool = False
    #: longest request target (path and query string) accepted, bytes (longer: 414)
    max_target_bytes: int = attrs.field(default=8192, validator=at_least(64))
    #: largest request header block accepted, bytes (larger: 431)
    max_header_bytes: int = attrs.field(default=16384, validator=at_least(256))
    #: most request header lines accepted (more: 431)
    max_headers: int = attrs.field(default=100, validator=at_least(1))
    #: largest request body accepted, bytes (larger: 413)
    max_body_bytes: int = attrs.field(default=65536, validator=at_least(0))
    #: seconds a request may take to arrive (slower clients get 408)
    request_timeout: float = attrs.field(default=10.0, validator=positive)
    #: seconds an idle keep-alive connection is kept open
    keepalive_timeout: float = attrs.field(default=30.0, validator=positive)
    #: open connections per worker (the oldest waiting one is closed to make room)
    max_connections: int = attrs.field(default=1024, validator=at_least(1))
    #: pipelined requests answered per connection at a time; connections with more queued
    #: are served round robin after those with new data (the fairness bound)
    pipeline_batch: int = attrs.field(default=8, validator=at_least(1))
    #: answer ``/metrics`` (Prometheus text format, every worker summed)
    metrics: bool = True
    #: peer networks allowed to read ``/metrics`` (the TCP peer, never X-Forwarded-For);
    #: others get 404 as for an unknown path
    metrics_allow: list[str] = attrs.field(factory=lambda: ["127.0.0.0/8", "::1/128"],
                                           validator=networks)
