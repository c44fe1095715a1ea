"""One log file per host per crawl.

Every line a host's crawl logs goes to the crawler's logger (``mmcore.crawl``, prefixed with the
host) and into the host's own buffer, which is written to ``<log dir>/<host id>.log`` when the
host is done, replacing the previous crawl's file atomically.  The web UI shows that file to the
host's owners; it is not public.  A host's buffer is capped at ``max_lines`` lines (the rest is
counted), so a misbehaving mirror cannot grow memory or disk.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from mmcore.atomic import write_atomically

logger = logging.getLogger("mmcore.crawl")


class HostLog(logging.LoggerAdapter):
    """A :class:`logging.LoggerAdapter` that also keeps the host's lines."""

    def __init__(self, host_id: int, host_name: str, max_lines: int = 5000) -> None:
        super().__init__(logger, {"host_id": host_id, "host": host_name})
        self.host_id = host_id
        self.host_name = host_name
        self.max_lines = max_lines
        self.lines: list[str] = []
        self.dropped = 0

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        return f"host={self.host_id} {msg}", kwargs

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        text = str(msg) % args if args else str(msg)
        if len(self.lines) < self.max_lines:
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.lines.append(f"{stamp} {logging.getLevelName(level)} {text}")
        else:
            self.dropped += 1
        if self.isEnabledFor(level):
            message, kwargs = self.process(text, kwargs)
            self.logger.log(level, message, **kwargs)

    def render(self) -> bytes:
        tail = [f"... {self.dropped} more lines not kept"] if self.dropped else []
        return ("\n".join([*self.lines, *tail]) + "\n").encode("utf-8", "replace")

    def write(self, directory: Path | None) -> Path | None:
        """Replace ``directory/<host id>.log``; ``None`` directory: keep nothing."""
        if directory is None:
            return None
        path = directory / f"{self.host_id}.log"
        write_atomically(path, self.render(), mode=0o640)
        return path
