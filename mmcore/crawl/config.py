"""The ``[crawler]`` configuration section."""

from __future__ import annotations

from pathlib import Path

import attrs

from mmcore import __version__
from mmcore.validators import at_least, positive

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
    """``[crawler]``: every key optional.

    The one settings class of the crawler: the crawl engine reads it, and every crawl protocol
    gets it (:meth:`mmcore.crawl.protocol.CrawlProtocol.session`) for its time and size bounds.
    A protocol's own settings live in its plugin's section (``[rsync]``).
    """

    #: hosts crawled at once
    concurrency: int = attrs.field(default=50, validator=at_least(1))
    #: crawler processes; more than 1 splits the selected hosts into that many slices (as
    #: ``--fraction i:N``), one child process each, with ``concurrency`` shared among them
    processes: int = attrs.field(default=1, validator=at_least(1))
    #: seconds one host may take in total (all its categories); then it is cut off and counted
    #: as a failure (its directories are marked not up to date)
    host_timeout: float = attrs.field(default=900.0, validator=positive)
    #: seconds to connect to a mirror
    connect_timeout: float = attrs.field(default=10.0, validator=positive)
    #: seconds for one network operation (one HTTP request, one FTP command with its listing)
    operation_timeout: float = attrs.field(default=30.0, validator=positive)
    #: seconds for one rsync listing of a whole category
    listing_timeout: float = attrs.field(default=600.0, validator=positive)
    #: consecutive failed crawls after which a host is disabled (``user_active`` false); 0: never
    auto_disable: int = attrs.field(default=4, validator=at_least(0))
    #: largest body fetched (``repomd.xml``), bytes
    max_body_bytes: int = attrs.field(default=8 * 1024 * 1024, validator=positive)
    #: largest rsync or FTP listing read, bytes
    max_listing_bytes: int = attrs.field(default=512 * 1024 * 1024, validator=positive)
    #: redirects followed on the same host
    max_redirects: int = attrs.field(default=3, validator=at_least(0))
    #: the User-Agent header of HTTP requests, so mirror admins can tell the crawler apart
    user_agent: str = DEFAULT_USER_AGENT
    #: per-host crawl logs; empty: ``<data_dir>/crawler``; ``"-"``: no log files
    log_dir: str = ""
    #: lines kept per host log (the rest is counted, not written)
    log_max_lines: int = attrs.field(default=5000, validator=at_least(0))
    #: check, for every URL crawled, whether it answers over IPv4 and over IPv6 (one TCP
    #: connection per family and host name); the list server prefers mirrors of the client's
    #: family
    address_families: bool = True
    #: ``crawl propagation``: repository prefix template per product name
    propagation_repos: dict[str, str] = attrs.field(factory=_default_propagation_repos)
    #: ``crawl propagation``: the architecture looked at first
    propagation_arch: str = "x86_64"
    #: ``crawl propagation``: master file details older than this many days are not matched
    max_stale_days: int = attrs.field(default=4, validator=at_least(1))

    def log_path(self, data_dir: Path) -> Path | None:
        if self.log_dir == "-":
            return None
        return Path(self.log_dir) if self.log_dir else data_dir / "crawler"
