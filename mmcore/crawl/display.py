"""The crawl's live display: hosts done / running / failed."""

from __future__ import annotations

import time
from typing import TextIO

from mmcore.crawl.store import CrawlStatus


class LiveDisplay:
    """Hosts done / running / failed: one redrawn line on a terminal, a line every 10 s
    otherwise.

    With ``--processes N`` the parent feeds it the children's progress: ``parts`` children each
    call :meth:`started` with the total so far, and the line is final only when all have."""

    def __init__(self, stream: TextIO, parts: int = 1) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.total = 0
        self.running = 0
        self.done = 0
        self.failed = 0
        self.pending_parts = parts
        self.ended = False
        self.started_at = time.monotonic()
        self.last = 0.0

    def started(self, total: int) -> None:
        self.total = total
        self.pending_parts = max(0, self.pending_parts - 1)
        self._show(force=True)

    def host_started(self, host: object) -> None:
        self.running += 1
        self._show()

    def host_finished(self, result) -> None:
        self.running = max(0, self.running - 1)
        self.done += 1
        if result.status in (CrawlStatus.FAILURE, CrawlStatus.TIMEOUT) or result.record_error:
            self.failed += 1
        self._show(force=self._complete())

    def finish(self) -> None:
        """The last line, if the crawl ended before every host was reported (interrupted)."""
        if not self.ended:
            self.pending_parts = 0
            self.running = 0
            self._show(force=True, end=True)

    def _complete(self) -> bool:
        return self.pending_parts == 0 and self.done >= self.total

    def _show(self, force: bool = False, end: bool = False) -> None:
        now = time.monotonic()
        interval = 0.2 if self.tty else 10.0
        if not force and now - self.last < interval:
            return
        self.last = now
        end = end or self._complete()
        self.ended = self.ended or end
        line = (f"crawl: {self.done}/{self.total} hosts done, {self.running} running, "
                f"{self.failed} failed, {now - self.started_at:.0f}s")
        if self.tty:
            self.stream.write("\r\x1b[K" + line + ("\n" if end else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
