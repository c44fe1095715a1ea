"""Hook implementations of the rsync plugin.

Two capabilities share one parser of ``rsync --list-only`` output (:mod:`.listing`): the
master-tree scanner sources ``rsync`` (list a module live) and ``file`` (read a saved listing),
and the crawl protocol for ``rsync://`` mirror URLs.  Both run the client as ``[rsync]`` says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmcore import hookimpl

if TYPE_CHECKING:
    from mmcore.crawl.protocol import CrawlProtocol
    from mmcore.runtime import Runtime
    from mmcore.scan.source import ScannerSource


@hookimpl
def mm_config_sections() -> dict[str, type]:
    from mirrormanager_rsync.config import RsyncSettings

    return {"rsync": RsyncSettings}


@hookimpl
def mm_scanner_sources(runtime: Runtime) -> list[ScannerSource]:
    from mirrormanager_rsync.config import RsyncSettings
    from mirrormanager_rsync.source import FileListingSource, RsyncSource

    return [RsyncSource(runtime.section("rsync", RsyncSettings)), FileListingSource()]


@hookimpl
def mm_crawl_protocols(runtime: Runtime) -> list[CrawlProtocol]:
    from mirrormanager_rsync.config import RsyncSettings
    from mirrormanager_rsync.protocol import RsyncProtocol

    return [RsyncProtocol(runtime.section("rsync", RsyncSettings))]
