"""Progress for long work: a bar on a terminal, plain periodic lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts units of work and shows them.

    On a terminal it redraws one line (``label [#####     ] 51% 5100/10000 12.3s``); elsewhere it
    prints a plain line at most every ``interval`` seconds and once at the end, so logs stay short.
    Use as a context manager; call :meth:`advance` from the thread doing the work.
    """

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        stream: TextIO | None = None,
        interval: float = 5.0,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval if not self.tty else 0.1
        self.started = time.monotonic()
        self._last_shown = self.started
        self.note = ""

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    def advance(self, count: int = 1, note: str = "") -> None:
        self.done += count
        if note:
            self.note = note
        now = time.monotonic()
        if now - self._last_shown >= self.interval:
            self._last_shown = now
            self._show(final=False)

    def set_total(self, total: int) -> None:
        self.total = total

    def finish(self) -> None:
        self._show(final=True)

    def _line(self) -> str:
        elapsed = time.monotonic() - self.started
        if self.total:
            fraction = min(1.0, self.done / self.total)
            bar = "#" * int(fraction * 24)
            text = f"{self.label} [{bar:<24}] {fraction:4.0%} {self.done}/{self.total}"
        else:
            text = f"{self.label} {self.done}"
        note = f" {self.note}" if self.note else ""
        return f"{text} {elapsed:.1f}s{note}"

    def _show(self, final: bool) -> None:
        if self.tty:
            end = "\n" if final else ""
            self.stream.write("\r\x1b[K" + self._line() + end)
        else:
            self.stream.write(self._line() + "\n")
        self.stream.flush()
