"""``worldmap``: each public host's coordinates, for the web UI's map (MirrorManager2's
``mm2_generate-worldmap``).

The host name of the first public http(s) URL that resolves is looked up in a GeoIP2 City
database; the location found is stored in ``host.latitude``/``longitude``.  Hosts in embargoed
countries (by their own country or the address's) are left off the map (coordinates cleared),
as are hosts whose address the database does not place.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import socket
import urllib.parse
from pathlib import Path
from typing import Any

import maxminddb

from mmcore.commands import CommandError
from mmcore.ops.store import MapHost
from mmcore.progress import Progress

from .common import locked, ops_config, summary

RESOLVERS = 16


def _addresses(url: str) -> list[str]:
    host = urllib.parse.urlsplit(url).hostname
    if not host:
        return []
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def locate(host: MapHost, reader: Any, embargoed: frozenset[str]
           ) -> tuple[float, float] | None:
    """The host's coordinates, ``None`` when unknown or embargoed."""
    if host.country in embargoed:
        return None
    for url in host.urls:
        for address in _addresses(url):
            try:
                record = reader.get(address)
            except ValueError:
                continue
            if not isinstance(record, dict):
                continue
            country = (record.get("country") or {}).get("iso_code", "")
            if country and country.upper() in embargoed:
                return None
            where = record.get("location") or {}
            latitude, longitude = where.get("latitude"), where.get("longitude")
            if isinstance(latitude, (int, float)) and isinstance(longitude, (int, float)):
                return float(latitude), float(longitude)
    return None


def run(runtime: Any, args: argparse.Namespace) -> int:
    config = ops_config(runtime)
    database = Path(args.geoip or config.geoip_city)

    def work() -> int:
        try:
            reader = maxminddb.open_database(str(database))
        except (OSError, maxminddb.InvalidDatabaseError) as exc:
            raise CommandError(f"{database}: cannot open the GeoIP City database: {exc}") \
                from None
        store = runtime.open_store()
        embargoed = frozenset(config.embargoed_countries) | store.embargoed_countries()
        hosts = store.map_hosts()
        coordinates: dict[int, tuple[float, float] | None] = {}
        with reader, Progress("locate hosts", len(hosts), stream=runtime.err) as progress, \
                concurrent.futures.ThreadPoolExecutor(RESOLVERS) as pool:
            for host, where in zip(hosts, pool.map(
                    lambda h: locate(h, reader, embargoed), hosts)):
                coordinates[host.host_id] = where
                progress.advance()
        changed = store.set_host_coordinates(coordinates, dry_run=args.dry_run)
        located = sum(1 for where in coordinates.values() if where is not None)
        summary(runtime, "worldmap", hosts=len(hosts), located=located,
                unplaced=len(hosts) - located, changed=changed, dry_run=args.dry_run)
        return 0

    return locked(runtime, "worldmap", work)
