"""The ``[crawler]`` configuration section."""

from __future__ import annotations

from pathlib import Path

import attrs

from mmcore import __version__
from mmcore.crawl.protocol import CrawlLimits

#: set ``[crawler] user_agent`` to add a URL where mirror admins can read about your crawler
DEFAULT_USER_AGENT = f"mirrormanager-crawler/{__version__}"


def _default_propagation_repos() -> dict[str, str]:
    # repository prefix per product, ``{version}`` replaced by the version name (as MM2 does)
    return {
        "Fedora": "updates-released-f{version}",
        "EPEL": "epel-{version}",
        "CentOS": "centos-baseos-{version}",
    }


@attrs.frozen
class CrawlerConfig:
    """``[crawler]``: every key optional."""

    #: hosts crawled at once
    concurrency: int = 50
    #: crawler processes; more than 1 splits the selected hosts into that many slices (as
    #: ``--fraction i:N``), one child process each, with ``concurrency`` shared among them
    processes: int = 1
    #: seconds one host may take in total (all its categories); then it is cut off and counted
    #: as a failure (its directories are marked not up to date)
    host_timeout: float = 900.0
    #: seconds to connect to a mirror
    connect_timeout: float = 10.0
    #: seconds for one network operation (one HTTP request, one FTP command with its listing)
    operation_timeout: float = 30.0
    #: seconds for one rsync listing of a whole category
    listing_timeout: float = 600.0
    #: consecutive failed crawls after which a host is disabled (``user_active`` false); 0: never
    auto_disable: int = 4
    #: largest body fetched (``repomd.xml``), bytes
    max_body_bytes: int = 8 * 1024 * 1024
    #: largest rsync or FTP listing read, bytes
    max_listing_bytes: int = 512 * 1024 * 1024
    #: redirects followed on the same host
    max_redirects: int = 3
    #: the User-Agent header of HTTP requests, so mirror admins can tell the crawler apart
    user_agent: str = DEFAULT_USER_AGENT
    #: per-host crawl logs; empty: ``<data_dir>/crawler``; ``"-"``: no log files
    log_dir: str = ""
    #: lines kept per host log (the rest is counted, not written)
    log_max_lines: int = 5000
    #: the rsync client program
    rsync_command: str = "rsync"
    #: extra arguments given to every rsync listing
    rsync_args: list[str] = attrs.field(factory=lambda: ["--no-motd"])
    #: ``crawl propagation``: repository prefix template per product name
    propagation_repos: dict[str, str] = attrs.field(factory=_default_propagation_repos)
    #: ``crawl propagation``: the architecture looked at first
    propagation_arch: str = "x86_64"
    #: ``crawl propagation``: master file details older than this many days are not matched
    max_stale_days: int = 4

    def limits(self, concurrency: int | None = None) -> CrawlLimits:
        return CrawlLimits(
            connect_timeout=self.connect_timeout,
            operation_timeout=self.operation_timeout,
            listing_timeout=self.listing_timeout,
            max_body_bytes=self.max_body_bytes,
            max_listing_bytes=self.max_listing_bytes,
            max_redirects=self.max_redirects,
            user_agent=self.user_agent,
            concurrency=concurrency or self.concurrency,
            rsync_command=self.rsync_command,
            rsync_args=tuple(self.rsync_args),
        )

    def log_path(self, data_dir: Path) -> Path | None:
        if self.log_dir == "-":
            return None
        return Path(self.log_dir) if self.log_dir else data_dir / "crawler"
