"""The contract between the crawl engine and a crawl protocol (rsync, HTTP(S), FTP, ...).

The engine knows nothing about networks.  For one host category it hands a protocol

* the base URL registered for that host category (``https://mirror.example.org/fedora/linux``),
* what the master holds in every directory of the category (:class:`DirectoryExpectation`: the
  path under the category's top directory, the scanner's file list with sizes, and for a
  ``.../repodata`` directory the sha256 of the master's newest ``repomd.xml``),

and gets back one :class:`DirectoryVerdict` per directory -- up to date ``True``, not up to date
``False``, or unknown ``None`` -- or a failure reason when the URL could not be used at all
(connection refused, timeout, TLS error, byte cap exceeded, redirect off the host, ...).  A failure
makes the engine try the host category's next URL; every URL failing fails the category.

A protocol is a plugin (hook ``mm_crawl_protocols``).  It opens one :class:`ProtocolSession` per
crawl (``async with protocol.session(limits) as session``) so that it can share resources --
a connection pool, a thread limiter -- across all hosts; the session is used concurrently by
many host tasks.

Rules every protocol follows (the engine relies on them):

* contact only URLs below the base URL it was given (never follow a link or redirect to another
  host);
* bound every network operation by :attr:`~mmcore.crawl.config.CrawlerConfig.operation_timeout` and every body or listing
  by the byte caps, and stay cancellable (the engine cancels a host at its deadline);
* report errors as values (:attr:`CategoryCheck.failure`); raise only for bugs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs

if TYPE_CHECKING:
    from mmcore.crawl.config import CrawlerConfig

#: file names whose content the HTTP(S) protocol additionally verifies by sha256
REPOMD_NAME = "repomd.xml"


@attrs.frozen(slots=True)
class ExpectedFile:
    """One file the master holds in a directory (from ``directory.files``)."""

    name: str
    size: int | None


@attrs.frozen(slots=True)
class DirectoryExpectation:
    """What the master holds in one directory of a category.

    Instances are shared read-only between all hosts crawled for the category.
    """

    directory_id: int
    #: path relative to the category's top directory, ``""`` for the top directory itself
    path: str
    #: whether the master directory is world-readable (a 403 on a mirror is then "not up to date")
    readable: bool
    files: tuple[ExpectedFile, ...]
    #: sha256 (hex) of the master's newest ``repomd.xml`` in this directory, when it is a
    #: ``repodata`` directory the scanner checksummed
    repomd_sha256: str | None = None


@attrs.frozen(slots=True)
class DirectoryVerdict:
    directory_id: int
    #: ``True`` up to date, ``False`` not (missing, wrong size, stale repomd.xml), ``None`` unknown
    up2date: bool | None
    #: why, for the host's log (``"repomd.xml sha256 differs"``, ``"HTTP 404 for x.rpm"``)
    reason: str = ""


@attrs.frozen
class CategoryCheck:
    """A protocol's answer for one host category URL."""

    verdicts: tuple[DirectoryVerdict, ...] = ()
    #: set when the URL could not be used at all; ``verdicts`` is then empty
    failure: str | None = None
    #: requests, listings or commands sent (for statistics)
    operations: int = 0

    @classmethod
    def failed(cls, reason: str, operations: int = 0) -> CategoryCheck:
        return cls(verdicts=(), failure=reason, operations=operations)


@runtime_checkable
class ProtocolSession(Protocol):
    """A protocol's resources for one crawl; used concurrently by many host tasks."""

    async def check_category(
        self,
        base_url: str,
        directories: Sequence[DirectoryExpectation],
        log: logging.LoggerAdapter,
    ) -> CategoryCheck:
        """Decide for every directory whether the mirror at ``base_url`` is up to date.

        :param base_url: a URL of one of this protocol's schemes, without trailing slash
            (``rsync://mirror.example.org/fedora/linux``); directory paths are appended to it.
        :param directories: every readable directory of the category, ordered by path.
        :param log: the host's log (its lines go to the host's crawl log file); write what was
            checked and why a directory is not up to date.
        :return: one verdict per directory, in any order, or a failure.
        """
        ...


@runtime_checkable
class FetchingSession(ProtocolSession, Protocol):
    """A session that can also fetch one file's checksum (used by ``crawl propagation``)."""

    async def fetch_sha256(self, url: str, log: logging.LoggerAdapter) -> str | None:
        """sha256 (hex) of the body at ``url``, ``None`` when it cannot be fetched (logged)."""
        ...


@runtime_checkable
class CrawlProtocol(Protocol):
    """A crawl protocol contributed through ``mm_crawl_protocols``."""

    #: short name for logs and statistics (``"rsync"``, ``"http"``, ``"ftp"``)
    name: str
    #: URL schemes handled (``("http", "https")``)
    schemes: tuple[str, ...]
    #: lower is tried first among a host category's URLs (rsync 10, http(s) 20, ftp 30)
    preference: int

    def session(self, settings: CrawlerConfig) -> AbstractAsyncContextManager[ProtocolSession]:
        """Open the protocol's shared resources for one crawl.

        :param settings: the ``[crawler]`` settings of this crawl (timeouts, byte caps, user
            agent, ``concurrency`` to size pools and thread limiters by).
        """
        ...


def join_url(base_url: str, *parts: str) -> str:
    """``base/part/part`` with exactly one slash between the pieces; empty parts are skipped."""
    pieces = [base_url.rstrip("/")]
    pieces.extend(part.strip("/") for part in parts if part.strip("/"))
    return "/".join(pieces)


def compare_listing(
    directory: DirectoryExpectation,
    present: dict[str, int | None] | None,
) -> DirectoryVerdict:
    """The verdict for a directory from a listing of it (rsync, FTP).

    :param present: file name -> size on the mirror (``None`` size: do not compare, e.g. a
        symlink); ``None`` when the directory does not exist on the mirror.
    Up to date iff every expected file is present with the master's size.
    """
    if present is None:
        return DirectoryVerdict(directory.directory_id, False, "directory missing")
    for expected in directory.files:
        if expected.name not in present:
            return DirectoryVerdict(directory.directory_id, False, f"{expected.name} missing")
        size = present[expected.name]
        if size is not None and expected.size is not None and size != expected.size:
            return DirectoryVerdict(
                directory.directory_id,
                False,
                f"{expected.name} has size {size}, master has {expected.size}",
            )
    return DirectoryVerdict(directory.directory_id, True)
