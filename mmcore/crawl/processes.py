"""One crawl over several processes: ``mirrormanager crawl --processes N``.

Why: the crawl engine is one trio loop, and its CPU per HTTP request bounds a crawl when mirrors
answer fast (``docs/benchmarks/crawl.md``).  MirrorManager2 operators split crawls with
``--fraction A:B``; this does it for them on one machine.

The parent runs N children, ``mirrormanager crawl ... --fraction i:N`` of the same selection,
each with its share of ``--concurrency``, under one trio nursery.  Each child crawls and records
its hosts itself (its own database connections) and reports progress as JSON lines on a pipe
(``--progress-fd``, a hidden option); the parent merges them into one live display and one
summary.  Bounds:

* a child has :data:`STARTUP_TIMEOUT` to report its host count, then as long as its hosts can
  take (hosts / its concurrency x the host deadline, plus a margin); past that it is stopped;
* stopping is SIGINT (a child's trio loop unwinds, a transaction in progress finishes), then
  SIGKILL after ``grace`` seconds; every child is waited for, whatever ends the parent;
* SIGINT/SIGTERM to the parent are forwarded to the children (which run in their own process
  group, so a terminal's Ctrl-C reaches them once, through the parent);
* a child's stdin is a pipe the parent never writes to: when the parent dies, even by SIGKILL,
  the child reads end-of-file and stops its crawl (:func:`run_as_child`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, TextIO

import attrs
import trio

from mmcore.crawl.engine import CrawlMonitor, CrawlSummary, HostResult
from mmcore.crawl.store import CrawlStatus, HostRecordOutcome, HostTarget
from mmcore.errors import single_errors
from mmcore.logs import kv

log = logging.getLogger("mmcore.crawl.processes")

#: seconds a child has to start and report how many hosts it crawls
STARTUP_TIMEOUT = 300.0
#: seconds a child has to exit after SIGINT before it is killed
DEFAULT_GRACE = 10.0
#: a progress line longer than this is dropped (bounds the parent's buffer)
MAX_LINE = 1024 * 1024
#: signals forwarded to the children
FORWARDED = (signal.SIGINT, signal.SIGTERM)


# -- the child's side ---------------------------------------------------------------------------


def encode_result(result: HostResult) -> dict[str, Any]:
    """A :class:`HostResult` as plain JSON values."""
    data = attrs.asdict(result, recurse=False)
    data["status"] = result.status.value
    data["protocols"] = list(result.protocols)
    data["checks"] = list(result.checks)
    data["outcome"] = attrs.asdict(result.outcome) if result.outcome is not None else None
    return data


def decode_result(data: dict[str, Any]) -> HostResult:
    """The inverse of :func:`encode_result`."""
    outcome = data.get("outcome")
    return HostResult(**{
        **data,
        "status": CrawlStatus(data["status"]),
        "protocols": tuple(data.get("protocols") or ()),
        "checks": tuple(data.get("checks") or ()),
        "outcome": HostRecordOutcome(**outcome) if outcome else None,
    })


class ProgressWriter(CrawlMonitor):
    """A child's monitor: one JSON object per line on the pipe to the parent.

    Lines are short and the parent reads continuously, so a blocking write does not stall the
    loop.  If the parent is gone the writes stop (the stdin watcher ends the crawl)."""

    def __init__(self, fd: int) -> None:
        self.stream: TextIO | None = os.fdopen(fd, "w", buffering=1, encoding="utf-8")

    def started(self, total: int) -> None:
        self._send({"event": "started", "total": total})

    def host_started(self, host: HostTarget) -> None:
        self._send({"event": "host_started", "host": host.id})

    def host_finished(self, result: HostResult) -> None:
        self._send({"event": "host_finished", "result": encode_result(result)})

    def close(self) -> None:
        if self.stream is not None:
            with contextlib.suppress(OSError):
                self.stream.close()
            self.stream = None

    def _send(self, message: dict[str, Any]) -> None:
        if self.stream is None:
            return
        try:
            self.stream.write(json.dumps(message, separators=(",", ":")) + "\n")
        except OSError:  # the parent closed its end
            self.stream = None


class ParentGone(Exception):
    """The parent process of a ``--progress-fd`` child exited."""


async def _wait_for_eof(fd: int) -> None:
    """Return when ``fd`` (the child's stdin, a pipe the parent holds) reaches end-of-file."""
    stream = trio.lowlevel.FdStream(os.dup(fd))
    try:
        while await stream.receive_some(4096):
            pass
    finally:
        await stream.aclose()


async def run_as_child(crawl: Callable[[], Awaitable[CrawlSummary]]) -> CrawlSummary:
    """Run ``crawl()``, cancelled if the parent goes away (stdin at end-of-file)."""
    summary: CrawlSummary | None = None
    with single_errors():
        summary = await _crawl_watching_parent(crawl)
    if summary is None:
        raise ParentGone("the parent process is gone; crawl stopped")
    return summary


async def _crawl_watching_parent(
    crawl: Callable[[], Awaitable[CrawlSummary]]
) -> CrawlSummary | None:
    summary: CrawlSummary | None = None
    async with trio.open_nursery() as nursery:

        async def watch() -> None:
            await _wait_for_eof(0)
            nursery.cancel_scope.cancel()

        nursery.start_soon(watch)
        summary = await crawl()
        nursery.cancel_scope.cancel()
    return summary


# -- the parent's side --------------------------------------------------------------------------


def split_concurrency(total: int, parts: int) -> list[int]:
    """``total`` hosts at once shared by ``parts`` children as evenly as possible."""
    base, extra = divmod(total, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def exit_status(returncode: int | None) -> int:
    """A child's return code as a shell would report it (killed by signal S: 128 + S)."""
    if returncode is None:
        return 1
    return 128 - returncode if returncode < 0 else returncode


class MergedMonitor:
    """What the parent's display needs from the children's progress.

    ``monitor`` gets ``started(total)`` with the hosts of all children that reported so far,
    ``host_started(None)`` and ``host_finished(result)`` as they arrive."""

    def __init__(self, monitor: CrawlMonitor | Any) -> None:
        self.monitor = monitor
        self.total = 0

    def child_started(self, hosts: int) -> None:
        self.total += hosts
        self.monitor.started(self.total)

    def host_started(self) -> None:
        self.monitor.host_started(None)

    def host_finished(self, result: HostResult) -> None:
        self.monitor.host_finished(result)


@attrs.define
class Child:
    """One child crawl: ``--fraction index:slices`` with ``concurrency`` hosts at once."""

    index: int
    slices: int
    concurrency: int
    host_timeout: float
    process: trio.Process | None = None
    scope: trio.CancelScope = attrs.field(factory=trio.CancelScope)
    total: int | None = None
    results: list[HostResult] = attrs.field(factory=list)
    returncode: int | None = None
    timed_out: bool = False
    bad_lines: int = 0

    @property
    def label(self) -> str:
        return f"{self.index}:{self.slices}"

    def budget(self, hosts: int) -> float:
        """Seconds the child's hosts can take: host deadlines one wave after the other, plus
        10% and a minute for reading the expectations and recording results."""
        waves = math.ceil(hosts / max(1, self.concurrency))
        return waves * self.host_timeout * 1.1 + 60.0

    async def run(
        self, argv_for: Callable[[int, int], list[str]], merged: MergedMonitor, grace: float
    ) -> None:
        """Start the child, follow its progress until it exits (or its deadline passes, when it
        is stopped), and wait for it whatever happens."""
        progress_r, progress_w = os.pipe()
        lifeline_r, lifeline_w = os.pipe()
        self.scope.deadline = trio.current_time() + STARTUP_TIMEOUT
        try:
            try:
                self.process = await trio.lowlevel.open_process(
                    argv_for(self.index, progress_w), stdin=lifeline_r, pass_fds=(progress_w,),
                    process_group=0,
                )
            finally:
                os.close(progress_w)
                os.close(lifeline_r)
            log.info(kv(event="crawl_child_started", part=self.label, pid=self.process.pid,
                        concurrency=self.concurrency))
            await self._follow(trio.lowlevel.FdStream(progress_r), merged, grace)
            progress_r = -1  # owned and closed by the stream
        finally:
            if progress_r >= 0:
                os.close(progress_r)
            if self.process is not None and self.process.returncode is None:
                with trio.CancelScope(shield=True):
                    await stop_process(self.process, grace)
            os.close(lifeline_w)
            if self.process is not None:
                self.returncode = self.process.returncode
                log.info(kv(event="crawl_child_exited", part=self.label,
                            status=exit_status(self.returncode)))

    async def _follow(self, stream: trio.lowlevel.FdStream, merged: MergedMonitor,
                      grace: float) -> None:
        assert self.process is not None
        reader_done = trio.Event()
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._read, stream, merged, reader_done)
                with self.scope:
                    await self.process.wait()
                if self.scope.cancelled_caught:
                    self.timed_out = True
                    log.warning(kv(event="crawl_child_deadline", part=self.label))
                    await stop_process(self.process, grace)
                # what the child wrote before exiting is still in the pipe: read it to the end
                # (bounded: a grandchild could hold the pipe open)
                with trio.move_on_after(5):
                    await reader_done.wait()
                nursery.cancel_scope.cancel()
        finally:
            with trio.CancelScope(shield=True):
                await stream.aclose()

    async def _read(self, stream: trio.lowlevel.FdStream, merged: MergedMonitor,
                    done: trio.Event) -> None:
        buffer = b""
        try:
            while chunk := await stream.receive_some(65536):
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    self._handle(line, merged)
                if len(buffer) > MAX_LINE:
                    self.bad_lines += 1
                    buffer = b""
        finally:
            done.set()

    def _handle(self, line: bytes, merged: MergedMonitor) -> None:
        try:
            message = json.loads(line)
            event = message["event"]
            if event == "started":
                self.total = int(message["total"])
                self.scope.deadline = trio.current_time() + self.budget(self.total)
                merged.child_started(self.total)
            elif event == "host_started":
                merged.host_started()
            elif event == "host_finished":
                result = decode_result(message["result"])
                self.results.append(result)
                merged.host_finished(result)
        except (ValueError, KeyError, TypeError) as exc:
            self.bad_lines += 1
            log.warning(kv(event="crawl_child_bad_line", part=self.label, error=repr(exc)))


async def stop_process(process: trio.Process, grace: float) -> None:
    """SIGINT, then SIGKILL after ``grace`` seconds; returns when the process is gone."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGINT)
    with trio.move_on_after(grace):
        await process.wait()
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


@contextlib.contextmanager
def _signals() -> Iterator[Any]:
    """A receiver of the forwarded signals; none when not in the main thread (where Python
    cannot install handlers -- and no signal is delivered to that thread anyway)."""
    if threading.current_thread() is not threading.main_thread():
        yield None
        return
    with trio.open_signal_receiver(*FORWARDED) as receiver:
        yield receiver


@attrs.define
class ChildrenOutcome:
    """What the children did, merged."""

    summary: CrawlSummary
    children: list[Child]
    #: the signal the parent received and forwarded, if any
    signal: int | None = None

    @property
    def exit_status(self) -> int:
        """The worst of the children's exit statuses (and 128 + the signal received)."""
        statuses = [exit_status(c.returncode) for c in self.children]
        if self.signal is not None:
            statuses.append(128 + self.signal)
        return max(statuses, default=0)


async def run_children(
    argv_for: Callable[[int, int], list[str]],
    concurrencies: Sequence[int],
    host_timeout: float,
    monitor: CrawlMonitor | Any,
    *,
    grace: float = DEFAULT_GRACE,
) -> ChildrenOutcome:
    """Run ``len(concurrencies)`` children, ``argv_for(index, progress_fd)`` each (index
    1-based), until all have exited; their results merged in one :class:`CrawlSummary`."""
    slices = len(concurrencies)
    children = [Child(index, slices, concurrency, host_timeout)
                for index, concurrency in enumerate(concurrencies, 1)]
    merged = MergedMonitor(monitor)
    outcome = ChildrenOutcome(CrawlSummary(), children)
    with single_errors(), _signals() as signals:
        async with trio.open_nursery() as outer:
            if signals is not None:
                outer.start_soon(_forward, signals, children, outcome, grace)
            async with trio.open_nursery() as nursery:
                for child in children:
                    nursery.start_soon(child.run, argv_for, merged, grace)
            outer.cancel_scope.cancel()
    outcome.summary.finished = time.monotonic()
    outcome.summary.hosts = sum(c.total or 0 for c in children)
    outcome.summary.results = [r for c in children for r in c.results]
    return outcome


async def _forward(signals: Any, children: list[Child], outcome: ChildrenOutcome,
                   grace: float) -> None:
    """Pass SIGINT/SIGTERM on to the running children; kill those still there ``grace``
    seconds after the first."""
    async with trio.open_nursery() as nursery:
        async for signum in signals:
            first = outcome.signal is None
            outcome.signal = signum
            log.warning(kv(event="crawl_interrupted", signal=signal.Signals(signum).name))
            for child in children:
                if child.process is not None and child.process.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        child.process.send_signal(signum)
            if first:
                nursery.start_soon(_kill_after, children, grace)


async def _kill_after(children: list[Child], grace: float) -> None:
    await trio.sleep(grace)
    for child in children:
        if child.process is not None and child.process.returncode is None:
            log.warning(kv(event="crawl_child_killed", part=child.label))
            with contextlib.suppress(ProcessLookupError):
                child.process.kill()
