"""Hook implementations of the rsync plugin.

Two capabilities share one parser of ``rsync --list-only`` output (:mod:`.listing`): the
master-tree scanner sources ``rsync`` (list a module live) and ``file`` (read a saved listing),
and the crawl protocol for ``rsync://`` mirror URLs.
"""

from __future__ import annotations

from mmcore import hookimpl


@hookimpl
def mm_scanner_sources():
    from mirrormanager_rsync.source import FileListingSource, RsyncSource

    return [RsyncSource(), FileListingSource()]


@hookimpl
def mm_crawl_protocols():
    from mirrormanager_rsync.protocol import RsyncProtocol

    return [RsyncProtocol()]
