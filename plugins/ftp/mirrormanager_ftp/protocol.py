"""The FTP crawl protocol: stdlib :mod:`ftplib` in trio worker threads.

One anonymous control connection per host category; every directory is listed (``MLSD``, or
``LIST`` parsed Unix-style on servers without ``MLSD``) and is up to date iff every file of the
master's list is present with the master's size.  A directory the server says does not exist
(``550``/``450``) is not up to date.

Each blocking step (connect and log in, one listing) runs in a worker thread under the session's
:class:`trio.CapacityLimiter`, bounded twice: the socket timeout (``operation_timeout``) ends a
silent server's wait inside the thread, and a trio deadline of the same length ends a trickling
one -- the thread is then abandoned and its sockets shut down, which ends it at once.  Listings
are read with a byte cap.  FTP cannot redirect, so only the registered host is contacted.
"""

from __future__ import annotations

import ftplib
import logging
import socket
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar
from urllib.parse import unquote, urlsplit

import trio

from mmcore.crawl.config import CrawlerConfig
from mmcore.crawl.protocol import (
    CategoryCheck,
    DirectoryExpectation,
    DirectoryVerdict,
    compare_listing,
)
from mmcore.logs import kv

T = TypeVar("T")

#: replies meaning "no such directory"
MISSING_CODES = ("550", "450")
#: replies meaning "the server does not know this command"
UNSUPPORTED_CODES = ("500", "501", "502", "504")


class FtpFailure(Exception):
    """The URL cannot be used; the message is the recorded reason."""


class ListingTooLarge(Exception):
    pass


Listing = dict[str, int | None]


def parse_mlsd_line(line: str) -> tuple[str, str, int | None] | None:
    """``type=file;size=12; name`` -> ``(name, type, size)``."""
    facts_text, sep, name = line.partition(" ")
    if not sep or not name:
        return None
    facts: dict[str, str] = {}
    for fact in facts_text.split(";"):
        key, eq, value = fact.partition("=")
        if eq:
            facts[key.strip().lower()] = value.strip()
    kind = facts.get("type", "").lower()
    size_text = facts.get("size")
    size = int(size_text) if size_text and size_text.isdigit() else None
    return name, kind, size


def parse_list_line(line: str) -> tuple[str, str, int | None] | None:
    """A Unix ``ls -l`` line -> ``(name, type, size)``; symlinks get no size."""
    fields = line.split(None, 8)
    if len(fields) < 9 or not fields[0] or fields[0][0] not in "-dl":
        return None
    perms, size_text, name = fields[0], fields[4], fields[8]
    if perms[0] == "d":
        return name, "dir", None
    if perms[0] == "l":
        return name.split(" -> ", 1)[0], "symlink", None
    return name, "file", int(size_text) if size_text.isdigit() else None


class FtpConnection:
    """A blocking FTP client for one host category (used from one worker thread at a time)."""

    def __init__(self, host: str, port: int, limits: CrawlerConfig) -> None:
        self.host = host
        self.port = port
        self.limits = limits
        self.ftp: ftplib.FTP | None = None
        self.mlsd_supported = True
        self._data_socket: socket.socket | None = None
        self._lock = threading.Lock()

    def connect(self) -> None:
        ftp = ftplib.FTP(timeout=self.limits.operation_timeout)
        with self._lock:
            self.ftp = ftp
        ftp.connect(self.host, self.port, timeout=self.limits.connect_timeout)
        ftp.timeout = self.limits.operation_timeout
        ftp.sock.settimeout(self.limits.operation_timeout)
        ftp.login()
        # binary mode: servers refuse SIZE in ASCII mode, and sizes then mean bytes on disk
        ftp.voidcmd("TYPE I")

    def list_directory(self, path: str) -> Listing | None:
        """``{name: size}`` of the files in ``path``; ``None`` if it does not exist."""
        assert self.ftp is not None
        if self.mlsd_supported:
            try:
                return self._read_listing(f"MLSD {path}", parse_mlsd_line)
            except ftplib.error_perm as exc:
                code = str(exc)[:3]
                if code in MISSING_CODES:
                    return None
                if code not in UNSUPPORTED_CODES:
                    raise
                self.mlsd_supported = False
        try:
            return self._read_listing(f"LIST {path}", parse_list_line)
        except (ftplib.error_perm, ftplib.error_temp) as exc:
            if str(exc)[:3] in MISSING_CODES:
                return None
            raise

    def _read_listing(
        self, command: str, parse: Callable[[str], tuple[str, str, int | None] | None]
    ) -> Listing:
        assert self.ftp is not None
        ftp = self.ftp
        data = ftp.transfercmd(command)
        with self._lock:
            self._data_socket = data
        listing: Listing = {}
        received = 0
        cap = self.limits.max_listing_bytes
        try:
            data.settimeout(self.limits.operation_timeout)
            with data.makefile("rb") as stream:
                for raw in stream:
                    received += len(raw)
                    if received > cap:
                        raise ListingTooLarge(f"listing larger than {cap} bytes")
                    line = raw.decode("utf-8", "surrogateescape").rstrip("\r\n")
                    parsed = parse(line)
                    if parsed is None:
                        continue
                    name, kind, size = parsed
                    if name in (".", "..") or kind in ("dir", "cdir", "pdir"):
                        continue
                    listing[name] = None if kind not in ("file", "") else size
        finally:
            with self._lock:
                self._data_socket = None
            data.close()
        ftp.voidresp()
        return listing

    def abort(self) -> None:
        """Shut the sockets down from another thread: a blocked call returns at once."""
        with self._lock:
            sockets = [self._data_socket, self.ftp.sock if self.ftp else None]
        for sock in sockets:
            if sock is None:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        if self.ftp is not None:
            try:
                self.ftp.close()
            except OSError:
                pass


def describe(exc: BaseException, what: str, limits: CrawlerConfig) -> str:
    if isinstance(exc, trio.TooSlowError | TimeoutError | socket.timeout):
        return f"timeout after {limits.operation_timeout:g}s: {what}"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused: {what}"
    if isinstance(exc, socket.gaierror):
        return f"DNS failure: {exc}: {what}"
    if isinstance(exc, ftplib.error_perm | ftplib.error_temp | ftplib.error_reply):
        return f"FTP error {str(exc).strip()}: {what}"
    if isinstance(exc, ListingTooLarge):
        return f"{exc}: {what}"
    if isinstance(exc, EOFError):
        return f"connection closed by server: {what}"
    return f"{type(exc).__name__}: {exc}: {what}"


class FtpSession:
    def __init__(self, limits: CrawlerConfig) -> None:
        self.limits = limits
        #: worker threads doing FTP at once
        self.limiter = trio.CapacityLimiter(max(1, limits.concurrency))

    async def _in_thread(self, connection: FtpConnection, fn: Callable[[], T], what: str) -> T:
        try:
            with trio.fail_after(self.limits.operation_timeout + self.limits.connect_timeout):
                return await trio.to_thread.run_sync(
                    fn, limiter=self.limiter, abandon_on_cancel=True
                )
        except trio.Cancelled:
            connection.abort()
            raise
        except (
            trio.TooSlowError,
            OSError,
            EOFError,
            ftplib.Error,
            ListingTooLarge,
        ) as exc:
            connection.abort()
            raise FtpFailure(describe(exc, what, self.limits)) from None

    async def check_category(
        self,
        base_url: str,
        directories: Sequence[DirectoryExpectation],
        log: logging.LoggerAdapter,
    ) -> CategoryCheck:
        parts = urlsplit(base_url)
        if not parts.hostname:
            return CategoryCheck.failed(f"no host in URL {base_url}")
        base_path = unquote(parts.path).rstrip("/") or "/"
        connection = FtpConnection(parts.hostname, parts.port or 21, self.limits)
        operations = 0
        verdicts: list[DirectoryVerdict] = []
        try:
            operations += 1
            await self._in_thread(connection, connection.connect, base_url)
            for directory in directories:
                path = base_path.rstrip("/") + "/" + directory.path if directory.path else base_path
                operations += 1
                listing = await self._in_thread(
                    connection, lambda p=path: connection.list_directory(p), f"{base_url} {path}"
                )
                verdict = compare_listing(directory, listing)
                if verdict.up2date is not True:
                    log.info(
                        kv(event="directory", path=directory.path or ".", up2date=verdict.up2date,
                           reason=verdict.reason)
                    )
                verdicts.append(verdict)
        except FtpFailure as failure:
            log.warning(kv(event="url_failed", url=base_url, reason=str(failure)))
            return CategoryCheck.failed(str(failure), operations)
        finally:
            connection.abort()
            connection.close()
        return CategoryCheck(tuple(verdicts), None, operations)


class FtpProtocol:
    """``ftp://`` mirror URLs (anonymous login)."""

    name = "ftp"
    schemes: tuple[str, ...] = ("ftp",)
    preference = 30

    @asynccontextmanager
    async def session(self, limits: CrawlerConfig) -> AsyncIterator[FtpSession]:
        yield FtpSession(limits)
