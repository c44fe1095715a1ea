"""Hook implementations of the FTP plugin: the ``ftp`` crawl protocol."""

from __future__ import annotations

from mmcore import hookimpl


@hookimpl
def mm_crawl_protocols():
    from mirrormanager_ftp.protocol import FtpProtocol

    return [FtpProtocol()]
