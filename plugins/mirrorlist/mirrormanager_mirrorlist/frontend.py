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


def _load_error() -> type[Exception]:
    from mirrormanager_mirrorlist.inputs import LoadError  # imported by a worker anyway

    return LoadError


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
        from mirrormanager_mirrorlist.serving import Started, run_server

        try:
            settings = attrs.evolve(runtime.section("mirrorlist", MirrorlistConfig),
                                    **dict(overrides))
        except (TypeError, ValueError) as exc:
            raise UsageError(f"serve mirrorlist: {exc}") from None

        async def run(task_status: trio.TaskStatus[Started] = trio.TASK_STATUS_IGNORED) -> None:
            await run_server(settings, stop=control.stop, handle_signals=False,
                             reloads=control.reloads, task_status=task_status)

        try:
            async with trio.open_nursery() as nursery:
                started: Started = await nursery.start(run)
                details = {"generation": started.generation, "workers": settings.workers}
                if len(started.urls) > 1:
                    details["also"] = " ".join(started.urls[1:])
                task_status.started(FrontendStarted(started.url, details))
        except BaseException as exc:  # trio wraps errors from the nursery in groups
            problem = first_of(exc, (OSError, RuntimeError, _load_error()))
            if problem is None:
                raise
            raise CommandError(f"cannot serve: {problem}") from None
