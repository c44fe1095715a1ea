"""The rsync crawl protocol: one recursive ``rsync --list-only`` of a host category's URL.

The listing is read as it streams from the rsync client (a trio subprocess) and parsed line by
line with :mod:`mirrormanager_rsync.listing`; only the sizes of files the master expects are kept,
so memory is bounded by the category's file lists, not by the mirror's tree.  A directory is up to
date iff every expected file is listed in it with the master's size (symlinks: present is enough),
as MirrorManager2 decides it; there is no checksum over rsync.

Bounds: rsync's own ``--contimeout`` and ``--timeout`` (I/O silence), a trio deadline of
``listing_timeout`` on the whole listing (a server trickling its listing), and ``max_listing_bytes``
on the output.  The process is killed when any is exceeded or the host's crawl is cancelled.
Exit statuses 0, 23 and 24 (partial listings: some entries unreadable or vanished) are usable;
anything else (unknown module 5, connection refused 10, timeouts 30/35, ...) fails the URL with
the client's last error line.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import trio

from mirrormanager_rsync.config import RsyncSettings
from mirrormanager_rsync.listing import EntryType, parse_line
from mirrormanager_rsync.process import NEW_GROUP, kill_group
from mmcore.crawl.config import CrawlerConfig
from mmcore.crawl.protocol import (
    CategoryCheck,
    DirectoryExpectation,
    DirectoryVerdict,
    compare_listing,
)
from mmcore.logs import kv

USABLE_EXIT_CODES = (0, 23, 24)
STDERR_KEEP = 4096


class ListingFailure(Exception):
    pass


def rsync_command(base_url: str, limits: CrawlerConfig, settings: RsyncSettings) -> list[str]:
    return [
        settings.command,
        "--list-only",
        "-r",
        f"--timeout={max(1, int(limits.operation_timeout))}",
        f"--contimeout={max(1, int(limits.connect_timeout))}",
        "--exclude=.snapshot",
        "--exclude=*.~tmp~",
        *settings.crawl_args,
        base_url.rstrip("/") + "/",
    ]


class _Collector:
    """Keeps, from a streamed listing, what the expected directories need."""

    def __init__(self, directories: Sequence[DirectoryExpectation]) -> None:
        self.wanted: dict[str, frozenset[str]] = {
            d.path: frozenset(f.name for f in d.files) for d in directories
        }
        self.present_dirs: set[str] = set()
        self.files: dict[str, dict[str, int | None]] = {}
        self.lines = 0

    def feed(self, line: str) -> None:
        self.lines += 1
        entry = parse_line(line)
        if entry is None:
            return
        if entry.type is EntryType.DIR:
            if entry.path in self.wanted:
                self.present_dirs.add(entry.path)
            return
        names = self.wanted.get(entry.parent)
        if names is None or entry.name not in names:
            return
        size = entry.size if entry.type is EntryType.FILE else None
        self.files.setdefault(entry.parent, {})[entry.name] = size

    def verdict(self, directory: DirectoryExpectation) -> DirectoryVerdict:
        if directory.path not in self.present_dirs:
            return compare_listing(directory, None)
        return compare_listing(directory, self.files.get(directory.path, {}))


class RsyncSession:
    def __init__(self, limits: CrawlerConfig, settings: RsyncSettings) -> None:
        self.limits = limits
        self.settings = settings

    async def check_category(
        self,
        base_url: str,
        directories: Sequence[DirectoryExpectation],
        log: logging.LoggerAdapter,
    ) -> CategoryCheck:
        collector = _Collector(directories)
        command = rsync_command(base_url, self.limits, self.settings)
        log.debug(kv(event="rsync", command=" ".join(command)))
        try:
            with trio.fail_after(self.limits.listing_timeout):
                await self._list(command, collector)
        except trio.TooSlowError:
            reason = f"rsync listing took longer than {self.limits.listing_timeout:g}s: {base_url}"
            log.warning(kv(event="url_failed", url=base_url, reason=reason))
            return CategoryCheck.failed(reason, 1)
        except (ListingFailure, OSError) as exc:
            reason = f"{exc}: {base_url}"
            log.warning(kv(event="url_failed", url=base_url, reason=reason))
            return CategoryCheck.failed(reason, 1)
        log.debug(kv(event="rsync_listed", url=base_url, lines=collector.lines))
        verdicts = []
        for directory in directories:
            verdict = collector.verdict(directory)
            if verdict.up2date is not True:
                log.info(
                    kv(event="directory", path=directory.path or ".", up2date=verdict.up2date,
                       reason=verdict.reason)
                )
            verdicts.append(verdict)
        return CategoryCheck(tuple(verdicts), None, 1)

    async def _list(self, command: list[str], collector: _Collector) -> None:
        env = {**os.environ, "TZ": "UTC", "LC_ALL": "C"}
        process = await trio.lowlevel.open_process(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, **NEW_GROUP,
        )
        stderr = bytearray()
        failure: ListingFailure | None = None
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_drain, process.stderr, stderr)
                try:
                    await self._read_stdout(process, collector)
                except ListingFailure as exc:
                    # errors as values across the nursery (which would wrap them in a group)
                    failure = exc
                    kill_group(process)
                    nursery.cancel_scope.cancel()  # its last words are not needed
            code = await process.wait()
        finally:
            if process.returncode is None:
                kill_group(process)
                with trio.CancelScope(shield=True):
                    with trio.move_on_after(5):
                        await process.wait()
        if failure is not None:
            raise failure
        if code not in USABLE_EXIT_CODES:
            message = _last_line(bytes(stderr)) or "no message"
            raise ListingFailure(f"rsync exit {code}: {message}")

    async def _read_stdout(self, process: trio.Process, collector: _Collector) -> None:
        assert process.stdout is not None
        pending = b""
        received = 0
        cap = self.limits.max_listing_bytes
        while True:
            chunk = await process.stdout.receive_some(65536)
            if not chunk:
                break
            received += len(chunk)
            if received > cap:
                raise ListingFailure(f"rsync listing larger than {cap} bytes")
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                collector.feed(line.decode("utf-8", "surrogateescape"))
        if pending:
            collector.feed(pending.decode("utf-8", "surrogateescape"))


async def _drain(stream: trio.abc.ReceiveStream | None, keep: bytearray) -> None:
    if stream is None:
        return
    while True:
        chunk = await stream.receive_some(65536)
        if not chunk:
            return
        keep.extend(chunk)
        if len(keep) > STDERR_KEEP:
            del keep[: len(keep) - STDERR_KEEP]


def _last_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    # rsync ends with "rsync error: ... (code N) at main.c(...)"; the cause is usually before it
    useful = [line for line in lines if not line.startswith("rsync error:")]
    return (useful or lines or [""])[-1][:300]


class RsyncProtocol:
    """``rsync://`` mirror URLs, listed with the client ``[rsync]`` names."""

    name = "rsync"
    schemes: tuple[str, ...] = ("rsync",)
    preference = 10

    def __init__(self, settings: RsyncSettings | None = None) -> None:
        self.settings = settings if settings is not None else RsyncSettings()

    @asynccontextmanager
    async def session(self, limits: CrawlerConfig) -> AsyncIterator[RsyncSession]:
        yield RsyncSession(limits, self.settings)
