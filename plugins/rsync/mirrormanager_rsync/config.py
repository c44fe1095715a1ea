"""The ``[rsync]`` configuration section: the rsync client, for the crawler and the scanner."""

from __future__ import annotations

import attrs

from mmcore.validators import positive


@attrs.frozen
class RsyncSettings:
    """``[rsync]``: how the rsync client is run (crawl protocol and ``rsync`` scanner source)."""

    #: the rsync client program (a path or a name looked up on PATH)
    command: str = "rsync"
    #: extra arguments given to every crawl listing of a mirror
    crawl_args: tuple[str, ...] = ("--no-motd",)
    #: extra arguments given to the ``rsync`` scanner source's listing of the master (and its
    #: fetch of repomd.xml and checksum files)
    scan_args: tuple[str, ...] = ()
    #: seconds a scanner listing (or metadata fetch) may take before rsync is killed and the
    #: category fails
    scan_timeout: float = attrs.field(default=3600.0, validator=positive)
