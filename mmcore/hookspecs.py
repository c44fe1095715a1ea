"""The contract between the core and its plugins.

Every capability of MirrorManager -- storage, master-tree scanning, crawling, cache writing,
serving, the command line -- reaches the core through the hooks below.  Built-in behaviour is
registered through these same hooks (see the ``mirrormanager`` entry points in the core's
``pyproject.toml``), so a third-party package can add or replace any part of it.

Conventions:

* Hooks are synchronous (pluggy calls them).  Hooks that stand for long-running work return
  objects whose methods are ``async`` and run under trio; the core awaits them.
* A hook marked ``firstresult`` stops at the first implementation that returns something other
  than ``None``; the others collect one result per implementation, in pluggy's call order
  (last registered first).
* Arguments are passed by keyword; an implementation may accept any subset of them.

Implement a hook with :data:`mmcore.hookimpl`::

    from mmcore import hookimpl

    @hookimpl
    def mm_crawl_protocols():
        return [MyProtocol()]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from mmcore.cache import CacheWriter
    from mmcore.commands import CliCommand
    from mmcore.config import Config
    from mmcore.crawl.protocol import CrawlProtocol
    from mmcore.events import (
        CacheWritten,
        HostCheckedIn,
        HostCrawled,
        HostDisabled,
        MasterTreeChanged,
    )
    from mmcore.frontend import Frontend
    from mmcore.scan.source import ScannerSource
    from mmcore.store import Store

PROJECT_NAME = "mirrormanager"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


# --------------------------------------------------------------------------------------------
# configuration and command line
# --------------------------------------------------------------------------------------------


@hookspec
def mm_config_sections() -> dict[str, type]:
    """Declare the TOML sections this plugin owns.

    Called once, when the configuration file is loaded, before anything else runs.

    :return: a mapping of top-level TOML table name (``"crawler"``, ``"mirrorlist"``, ...) to an
        attrs class.  cattrs structures the table into that class; every field needs a default so
        that an absent table works.  Unknown keys, wrong types and missing required values are
        configuration errors (exit status 2).  Two plugins claiming the same name is an error.
    """


@hookspec
def mm_cli_commands() -> list[CliCommand]:
    """Contribute subcommands to the ``mirrormanager`` command line.

    Called once when the command line is built.

    :return: a list of :class:`mmcore.commands.CliCommand`.  A command's ``path`` may have
        several words (``("db", "upgrade")``, ``("serve", "mirrorlist")``); the core builds the
        intermediate groups.  Two commands with the same path are an error.
    """


# --------------------------------------------------------------------------------------------
# storage
# --------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def mm_open_store(url: str, config: Config) -> Store | None:
    """Open the storage backend for a database URL.

    Called whenever a command needs the database.

    :param url: the ``[database] url`` setting, e.g. ``sqlite:///mirrormanager.db`` or
        ``postgresql+psycopg://user@host/db``.
    :param config: the whole loaded configuration.
    :return: an object implementing :class:`mmcore.store.Store`, or ``None`` when this
        backend does not handle the URL's scheme.  **firstresult**: the first backend that
        accepts the URL wins.
    """


# --------------------------------------------------------------------------------------------
# master-tree scanning (UMDL)
# --------------------------------------------------------------------------------------------


@hookspec
def mm_scanner_sources() -> list[ScannerSource]:
    """Contribute master-tree scanner sources.

    Called by the scan engine before a scan.  A source is named by ``[[umdl.master]] source``
    in the configuration (``directory``, ``fullfiletimelist``, ``rsync``, ``file``).

    :return: a list of :class:`mmcore.scan.source.ScannerSource`; each has a unique ``name``.
    """


@hookspec
def mm_repository_rules() -> list[Any]:
    """Contribute repository prefix rules (data, not code paths) to the scanner.

    Called by the scan engine when it classifies repository directories.

    :return: a list of rule objects understood by :mod:`mmcore.scan.repomap`; rules from
        plugins are consulted before the built-in table, so a distribution can add or override
        prefixes for its own categories.
    """


# --------------------------------------------------------------------------------------------
# crawling
# --------------------------------------------------------------------------------------------


@hookspec
def mm_crawl_protocols() -> list[CrawlProtocol]:
    """Contribute crawl protocols, one per URL scheme family.

    Called by the crawl engine before a crawl.

    :return: a list of :class:`mmcore.crawl.protocol.CrawlProtocol`.  Each declares the URL
        ``schemes`` it handles (``("http", "https")``) and a ``preference`` (lower is tried
        first; rsync 10, http(s) 20, ftp 30).  Two protocols claiming a scheme: the lower
        preference wins.
    """


# --------------------------------------------------------------------------------------------
# cache writing and serving
# --------------------------------------------------------------------------------------------


@hookspec
def mm_cache_writers() -> list[CacheWriter]:
    """Contribute cache writers (output formats of ``mirrormanager cache write``).

    :return: a list of :class:`mmcore.cache.CacheWriter`, each with a unique ``name``
        (``protobuf`` for the mirrorlist-server cache).
    """


@hookspec
def mm_frontends() -> list[Frontend]:
    """Contribute servers that ``mirrormanager serve NAME`` and the demo can run.

    :return: a list of :class:`mmcore.frontend.Frontend`, each with a unique ``name``
        (``mirrorlist``, ``ui``).
    """


# --------------------------------------------------------------------------------------------
# events (historic: every implementation is called, results are ignored)
# --------------------------------------------------------------------------------------------


@hookspec
def mm_event_host_crawled(event: HostCrawled) -> None:
    """A host's crawl finished (successfully or not) and its result was recorded.

    Called by the crawl engine from the trio thread, once per host, after the database write.
    Must not block: hand slow work (a message bus) to a thread or a queue of your own.
    """


@hookspec
def mm_event_host_disabled(event: HostDisabled) -> None:
    """A host was disabled (``user_active`` set false), e.g. after repeated crawl failures.

    Called after the change is committed.
    """


@hookspec
def mm_event_master_tree_changed(event: MasterTreeChanged) -> None:
    """A scan changed the database's picture of the master tree for one category.

    Called once per category whose scan wrote anything, after the commit.
    """


@hookspec
def mm_event_cache_written(event: CacheWritten) -> None:
    """A cache file was written and renamed into place.

    Called once per written file, after the atomic rename.
    """


@hookspec
def mm_event_host_checked_in(event: HostCheckedIn) -> None:
    """A private mirror checked in (report_mirror's XML-RPC ``checkin``) and what it reported
    was recorded.

    Called by the check-in endpoint once per successful check-in, after the commit.  Must not
    block (the web server's event loop calls it).
    """
