"""The ``mirrorlist`` frontend and the ``mirrormanager serve mirrorlist`` command."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping
from typing import Any

import attrs
import trio

from mmcore.commands import CliCommand, CommandContext, CommandError, UsageError
from mmcore.config import Config
from mmcore.errors import first_of
from mmcore.frontend import FrontendStarted

from mirrormanager_mirrorlist.config import MirrorlistConfig
from mirrormanager_mirrorlist.httpserver import HttpLimits
from mirrormanager_mirrorlist.inputs import LoadError
from mirrormanager_mirrorlist.server import ServerSettings, Started, run_server

log = logging.getLogger(__name__)


def split_listen(listen: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[V6]:PORT``, ``HOST`` (port 3000) -> (host, port)."""
    host, port_text = listen, "3000"
    if listen.startswith("["):
        host, _, rest = listen[1:].partition("]")
        if rest.startswith(":"):
            port_text = rest[1:]
    elif listen.count(":") == 1:
        host, _, port_text = listen.partition(":")
    try:
        port = int(port_text)
    except ValueError:
        raise UsageError(f"--listen {listen!r}: the port must be a number") from None
    if not 0 <= port <= 65535:
        raise UsageError(f"--listen {listen!r}: port out of range")
    return host or "127.0.0.1", port


def settings_from_config(section: MirrorlistConfig) -> ServerSettings:
    host, port = split_listen(section.listen)
    return ServerSettings(
        cache=section.cache_path,
        host=host,
        port=port,
        workers=section.workers,
        minimum=section.minimum,
        geoip=section.geoip or None,
        netblocks=section.netblocks or None,
        continents=section.continents or None,
        access_log=section.access_log or None,
        watch_interval=section.watch_interval,
        view_capacity=section.view_capacity,
        validate=section.validate_cache,
        trust_forwarded_for=section.trust_forwarded_for,
        allow_missing_cache=section.allow_missing_cache,
        limits=HttpLimits(
            max_target=section.max_target_bytes,
            max_header_bytes=section.max_header_bytes,
            max_headers=section.max_headers,
            max_body=section.max_body_bytes,
            request_timeout=section.request_timeout,
            keepalive_timeout=section.keepalive_timeout,
            max_connections=section.max_connections,
        ),
    )


@attrs.frozen
class MirrorlistFrontend:
    name: str = "mirrorlist"

    async def serve(
        self,
        config: Config,
        *,
        overrides: Mapping[str, Any] | None = None,
        stop: trio.Event | None = None,
        handle_signals: bool = False,
        task_status: trio.TaskStatus[FrontendStarted] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        section = config.section("mirrorlist", MirrorlistConfig)
        if overrides:
            section = attrs.evolve(section, **dict(overrides))
        settings = settings_from_config(section)

        async def run(task_status: trio.TaskStatus[Started] = trio.TASK_STATUS_IGNORED) -> None:
            await run_server(
                settings, stop=stop, handle_signals=handle_signals, task_status=task_status
            )

        async with trio.open_nursery() as nursery:
            started: Started = await nursery.start(run)
            task_status.started(
                FrontendStarted(
                    started.url,
                    {"generation": started.generation, "workers": settings.workers},
                )
            )


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cache", help="protobuf cache file ([mirrorlist] cache_path)")
    parser.add_argument("--listen", help="HOST:PORT to listen on ([mirrorlist] listen)")
    parser.add_argument("--workers", type=int, help="worker processes sharing the port")
    parser.add_argument("--geoip", help="GeoIP2/GeoLite2 Country .mmdb file")
    parser.add_argument("--netblocks", help="global_netblocks.txt (CIDR ASN lines)")
    parser.add_argument("--continents", help="country_continent.csv")
    parser.add_argument("--minimum", type=int, help="add the global list below this many hosts")
    parser.add_argument("--log", help="access-statistics log file ('' for none)")


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    mapping = {
        "cache": "cache_path",
        "listen": "listen",
        "workers": "workers",
        "geoip": "geoip",
        "netblocks": "netblocks",
        "continents": "continents",
        "minimum": "minimum",
        "log": "access_log",
    }
    found = {key: getattr(args, flag) for flag, key in mapping.items()}
    return {key: value for key, value in found.items() if value is not None}


def _run(ctx: CommandContext, args: argparse.Namespace) -> int:
    overrides = overrides_from_args(args)
    if overrides.get("workers", 1) < 1:
        raise UsageError("--workers must be at least 1")
    if overrides.get("minimum", 0) < 0:
        raise UsageError("--minimum must not be negative")
    frontend = MirrorlistFrontend()

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            started: FrontendStarted = await nursery.start(
                lambda task_status: frontend.serve(
                    ctx.config, overrides=overrides, handle_signals=True, task_status=task_status
                )
            )
            print(f"Listening on {started.url}", file=ctx.out, flush=True)

    try:
        trio.run(main)
    except BaseException as exc:  # trio wraps errors from the nursery in groups
        problem = first_of(exc, (LoadError, OSError, RuntimeError))
        if problem is None:
            raise
        raise CommandError(f"cannot serve: {problem}") from None
    return 0


def serve_mirrorlist_command() -> CliCommand:
    return CliCommand(
        path=("serve", "mirrorlist"),
        help="answer /mirrorlist and /metalink from the protobuf cache",
        run=_run,
        configure=_configure,
    )
