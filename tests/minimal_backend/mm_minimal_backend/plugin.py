"""A minimal storage backend (a JSON file), cache writer and frontend.

``minimal:///path/db.json`` names the store.  Its "schema" is a revision number in the file; its
only data is a list of host names.  The ``minimal`` cache writer writes them one per line; the
``minimal`` frontend serves that file over HTTP and re-reads it on reload.
"""

from __future__ import annotations

import argparse
import json
import time
from functools import partial
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from mmcore import hookimpl
from mmcore.atomic import write_atomically
from mmcore.cache import CacheWriteResult
from mmcore.frontend import FrontendStarted, ServeControl
from mmcore.store import SchemaOutOfDate, StoreMissing
from mmcore.validators import parse_listen

REVISION = "minimal-1"


class JsonStore:
    """The store lifecycle on one JSON file."""

    dialect = "minimal"
    pool_size = 1

    def __init__(self, path: Path, create: bool) -> None:
        self.path = path
        self.display_url = f"minimal://{path}"
        if not create and not path.exists():
            raise StoreMissing(f"database {self.display_url} does not exist")

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text() or "{}")

    def upgrade(self) -> str:
        data = self._read()
        data.setdefault("hosts", ["mirror.example.org"])
        data["revision"] = REVISION
        write_atomically(self.path, json.dumps(data).encode())
        return REVISION

    def current_revision(self) -> str | None:
        return self._read().get("revision")

    def check_schema(self) -> None:
        if self.current_revision() != REVISION:
            raise SchemaOutOfDate(f"{self.display_url}: run `mirrormanager db upgrade`")

    def table_counts(self) -> dict[str, int]:
        return {"hosts": len(self._read().get("hosts", []))}

    def hosts(self) -> list[str]:
        self.check_schema()
        return list(self._read()["hosts"])

    def close(self) -> None:
        pass


@hookimpl
def mm_open_store(url: str, create: bool) -> JsonStore | None:
    if not url.startswith("minimal://"):
        return None
    return JsonStore(Path(url[len("minimal://"):]), create)


@attrs.frozen
class HostListWriter:
    name: str = "minimal"

    def default_path(self, runtime) -> Path:
        return runtime.config.data_dir / "hosts.txt"

    async def write(self, runtime, path: Path) -> CacheWriteResult:
        started = time.monotonic()
        body = "".join(f"{host}\n" for host in runtime.open_store().hosts()).encode()
        write_atomically(path, body)
        return CacheWriteResult(path=path, bytes=len(body), counts={"hosts": body.count(b"\n")},
                                seconds=time.monotonic() - started, generation=time.time_ns())


@hookimpl
def mm_cache_writers() -> list[HostListWriter]:
    return [HostListWriter()]


@attrs.frozen
class HostListFrontend:
    """Serves the host list file to any GET; a reload re-reads it."""

    name: str = "minimal"
    help: str = "serve the minimal cache over HTTP"

    def configure(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--cache", help="the file to serve")

    def overrides(self, args: argparse.Namespace) -> dict[str, Any]:
        return {"cache": args.cache} if args.cache else {}

    async def serve(self, runtime, *, overrides: Mapping[str, Any], control: ServeControl,
                    task_status) -> None:
        import trio

        cache = Path(overrides.get("cache") or runtime.config.data_dir / "hosts.txt")
        host, port = parse_listen(overrides.get("listen", "127.0.0.1:0"))
        body = [cache.read_bytes()]

        async def reload() -> None:
            async for _ in control.reloads:
                body[0] = cache.read_bytes()

        async def answer(stream: trio.SocketStream) -> None:
            with trio.move_on_after(5):
                await stream.receive_some(65536)
                await stream.send_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: "
                                      + str(len(body[0])).encode() + b"\r\n\r\n" + body[0])
            await stream.aclose()

        async with trio.open_nursery() as nursery:
            listeners = await nursery.start(partial(trio.serve_tcp, answer, port, host=host))
            nursery.start_soon(reload)
            bound = listeners[0].socket.getsockname()[1]
            task_status.started(FrontendStarted(url=f"http://{host}:{bound}"))
            await control.stop.wait()
            nursery.cancel_scope.cancel()


@hookimpl
def mm_frontends() -> list[HostListFrontend]:
    return [HostListFrontend()]
