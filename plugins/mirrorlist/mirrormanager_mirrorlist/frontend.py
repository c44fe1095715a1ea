"""The ``mirrorlist`` frontend, run by the core's ``mirrormanager serve mirrorlist``.

Light on purpose (it is loaded to build the command line): the server is imported in
:meth:`MirrorlistFrontend.serve`.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    import trio

    from mmcore.frontend import FrontendStarted, ServeControl
    from mmcore.runtime import Runtime

    from mirrormanager_mirrorlist.config import MirrorlistConfig
    from mirrormanager_mirrorlist.server import ServerSettings

#: command-line flag -> ``[mirrorlist]`` key
_FLAGS = {
    "cache": "cache_path",
    "workers": "workers",
    "geoip": "geoip",
    "netblocks": "netblocks",
    "continents": "continents",
    "minimum": "minimum",
    "log": "access_log",
}


def settings_from_config(section: MirrorlistConfig) -> ServerSettings:
    from mmcore.validators import parse_listen

    from mirrormanager_mirrorlist.httpserver import HttpLimits
    from mirrormanager_mirrorlist.server import ServerSettings

    host, port = parse_listen(section.listen, default_port=3000)
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
            pipeline_batch=section.pipeline_batch,
        ),
        metrics=section.metrics,
        metrics_allow=tuple(section.metrics_allow),
    )


@attrs.frozen
class MirrorlistFrontend:
    name: str = "mirrorlist"
    help: str = "answer /mirrorlist and /metalink from the protobuf cache"

    def configure(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--cache", help="protobuf cache file ([mirrorlist] cache_path)")
        parser.add_argument("--workers", type=int, help="worker processes sharing the port")
        parser.add_argument("--geoip", help="GeoIP2/GeoLite2 Country .mmdb file")
        parser.add_argument("--netblocks", help="global_netblocks.txt (CIDR ASN lines)")
        parser.add_argument("--continents", help="country_continent.csv")
        parser.add_argument("--minimum", type=int,
                            help="add the global list below this many hosts")
        parser.add_argument("--log", help="access-statistics log file ('' for none)")

    def overrides(self, args: argparse.Namespace) -> dict[str, Any]:
        found = {key: getattr(args, flag, None) for flag, key in _FLAGS.items()}
        return {key: value for key, value in found.items() if value is not None}

    async def serve(
        self,
        runtime: Runtime,
        *,
        overrides: Mapping[str, Any],
        control: ServeControl,
        task_status: trio.TaskStatus[FrontendStarted],
    ) -> None:
        import trio

        from mmcore.commands import CommandError, UsageError
        from mmcore.errors import first_of
        from mmcore.frontend import FrontendStarted

        from mirrormanager_mirrorlist.config import MirrorlistConfig
        from mirrormanager_mirrorlist.inputs import LoadError
        from mirrormanager_mirrorlist.server import Started, run_server

        section = runtime.section("mirrorlist", MirrorlistConfig)
        try:
            section = attrs.evolve(section, **dict(overrides))
        except (TypeError, ValueError) as exc:
            raise UsageError(f"serve mirrorlist: {exc}") from None
        settings = settings_from_config(section)

        async def run(task_status: trio.TaskStatus[Started] = trio.TASK_STATUS_IGNORED) -> None:
            await run_server(settings, stop=control.stop, handle_signals=False,
                             reloads=control.reloads, task_status=task_status)

        try:
            async with trio.open_nursery() as nursery:
                started: Started = await nursery.start(run)
                task_status.started(FrontendStarted(
                    started.url, {"generation": started.generation, "workers": settings.workers}
                ))
        except BaseException as exc:  # trio wraps errors from the nursery in groups
            problem = first_of(exc, (LoadError, OSError, RuntimeError))
            if problem is None:
                raise
            raise CommandError(f"cannot serve: {problem}") from None
