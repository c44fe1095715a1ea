"""The ``[mirrorlist]`` configuration table (cache writer keys first, list-server keys after).

The one settings class of the list server: the frontend, the supervisor, each worker (it gets
the table as JSON) and the HTTP transport read it; the transport reads only its limits.
Light on purpose (read to load the configuration of every command)."""

from __future__ import annotations


import attrs

from mmcore.validators import (
    at_least,
    ip_networks,
    list_to_tuple,
    listen_addresses,
    listen_list,
    positive,
)


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
    #: ``HOST:PORT`` to listen on, or a list of them (``--listen`` repeated);
    #: ``[::]:3000`` alone listens on every IPv6 and IPv4 address; in a list with IPv4
    #: addresses an IPv6 one takes IPv6 only; port 0: a free port, the same for every address
    listen: tuple[str, ...] = attrs.field(default=("127.0.0.1:3000",), converter=listen_list,
                                          validator=listen_addresses)
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
    #: seconds between two freezes of a worker's surviving objects, which keeps the loaded
    #: cache and the view cache out of the garbage collector's full passes (their pauses
    #: were the p99 of a loaded server); 0: Python's collector as it comes
    gc_freeze_interval: float = attrs.field(default=1.0, validator=at_least(0))
    #: bound of the per-directory view cache (views, plans, metalink templates), in entries
    view_capacity: int = attrs.field(default=4_000_000, validator=at_least(1))
    #: parse every cache entry at load time (rejects schema violations; costs load time)
    validate_cache: bool = True
    #: take the client address from ``X-Forwarded-For`` (upstream behaviour)
    trust_forwarded_for: bool = True
    #: proxies (addresses or networks, IPv4 and IPv6) whose ``X-Forwarded-For`` is honoured;
    #: the client is the last element that is not one of them.  Empty: every peer's header
    #: is taken, its last element (upstream behaviour)
    trusted_proxies: tuple[str, ...] = attrs.field(default=(), converter=list_to_tuple,
                                                   validator=ip_networks)
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
    #: seconds to push out one answer before giving up on the client
    send_timeout: float = attrs.field(default=30.0, validator=positive)
    #: seconds granted to answers in flight when stopping
    shutdown_grace: float = attrs.field(default=5.0, validator=at_least(0))
    #: open connections per worker (the oldest waiting one is closed to make room)
    max_connections: int = attrs.field(default=1024, validator=at_least(1))
    #: pipelined requests answered per connection at a time; connections with more queued
    #: are served round robin after those with new data (the fairness bound)
    pipeline_batch: int = attrs.field(default=8, validator=at_least(1))
    #: answer ``/metrics`` (Prometheus text format, every worker summed)
    metrics: bool = True
    #: peer networks allowed to read ``/metrics`` (the TCP peer, never X-Forwarded-For);
    #: others get 404 as for an unknown path
    metrics_allow: tuple[str, ...] = attrs.field(default=("127.0.0.0/8", "::1/128"),
                                                 converter=list_to_tuple, validator=ip_networks)
    #: where the workers keep their counts for ``/metrics`` (one file each, only this
    #: server's); "" = a fresh directory per run (in ``/dev/shm`` when there is one)
    metrics_dir: str = ""

    @property
    def max_request_bytes(self) -> int:
        """Bytes one request may take in all (target, headers, body and some framing)."""
        return self.max_target_bytes + self.max_header_bytes + self.max_body_bytes + 4096
