"""The contract between the core and its plugins.

Every capability of MirrorManager -- storage, master-tree scanning, crawling, cache writing,
serving, the command line, notifications -- reaches the core through the hooks below.  Built-in
behaviour is registered through these same hooks (see the ``mirrormanager`` entry points in the
core's ``pyproject.toml``), so a third-party package can add or replace any part of it, and a
plugin can add hooks of its own for other plugins (:func:`mm_addhooks`).

Conventions:

* Hooks are synchronous (pluggy calls them).  Hooks that stand for long-running work return
  objects whose methods are ``async`` and run under trio; the core awaits them.
* Arguments are passed by keyword; an implementation may accept any subset of them.  Most hooks
  receive the :class:`~mmcore.runtime.Runtime` (configuration, store, events).
* Unless a hook says **firstresult**, every implementation is called and the hook returns one
  result per implementation, in pluggy's call order (last registered first); the core joins the
  lists.  A **firstresult** hook stops at the first implementation returning something other
  than ``None``.
* Hooks that run before the configuration is read (:func:`mm_addhooks`,
  :func:`mm_config_sections`, :func:`mm_cli_commands`, :func:`mm_frontends`) get no runtime,
  and their implementations must import nothing heavy: the command line is built from them.

Implement a hook with :data:`mmcore.hookimpl`::

    from mmcore import hookimpl

    @hookimpl
    def mm_crawl_protocols(runtime):
        return [GopherProtocol(runtime.section("gopher", GopherSettings))]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from mmcore.cache import CacheWriter
    from mmcore.commands import CliCommand
    from mmcore.crawl.protocol import CrawlProtocol
    from mmcore.events import (
        CacheWritten,
        CrawlFinished,
        CrawlStarted,
        HostAdded,
        HostCheckedIn,
        HostCrawled,
        HostDeleted,
        HostDisabled,
        HostUpdated,
        MasterTreeChanged,
        SiteDeleted,
    )
    from mmcore.frontend import Frontend
    from mmcore.plugins import PluginManager
    from mmcore.runtime import Runtime
    from mmcore.scan.config import RepositoryRuleConfig
    from mmcore.scan.repomap import RepositoryRule
    from mmcore.scan.source import ScannerSource
    from mmcore.store import Store

PROJECT_NAME = "mirrormanager"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


# --------------------------------------------------------------------------------------------
# extending the contract
# --------------------------------------------------------------------------------------------


@hookspec(historic=True)
def mm_addhooks(plugin_manager: PluginManager) -> None:
    """Add hook specifications of this plugin, for other plugins to implement.

    Called once for every plugin as it is registered (the hook is historic: a plugin registered
    after the others still gets the call).  Pluggy checks every implementation against the
    specifications only after all plugins are registered, so the implementing plugin may be
    loaded before or after the one that adds the specification.

    :param plugin_manager: the process's :class:`mmcore.plugins.PluginManager`; call
        ``plugin_manager.add_hookspecs(module_or_class)`` with your specifications (marked with
        ``pluggy.HookspecMarker("mirrormanager")``, i.e. :data:`hookspec`).
    :return: nothing.
    """


# --------------------------------------------------------------------------------------------
# configuration and command line
# --------------------------------------------------------------------------------------------


@hookspec
def mm_config_sections() -> dict[str, type]:
    """Declare the TOML tables this plugin owns.

    Called once, before the configuration file is read.

    :return: a mapping of top-level TOML table name (``"crawler"``, ``"rsync"``, ...) to an
        attrs class.  cattrs structures the table into that class; every field needs a default so
        that an absent table works, and attrs validators check each value as it is read.
        Unknown keys, wrong types and invalid values are configuration errors (exit status 2,
        naming the file and the key).  Two plugins claiming the same name is an error.
    """


@hookspec
def mm_cli_commands(plugin_manager: PluginManager) -> list[CliCommand]:
    """Contribute subcommands to the ``mirrormanager`` command line.

    Called once when the command line is built, before the configuration is read (so also for
    ``--help``): return descriptions, and import the command's heavy modules only when it runs
    (``CliCommand.run`` may be a ``"package.module:function"`` string).

    :param plugin_manager: the process's plugin manager, for commands built from other plugins'
        contributions (the core's ``serve NAME`` has one command per ``mm_frontends`` entry).

    :return: a list of :class:`mmcore.commands.CliCommand`.  A command's ``path`` may have
        several words (``("crawl", "propagation")``); the core builds the intermediate groups.
        Two commands with the same path are an error.
    """


# --------------------------------------------------------------------------------------------
# storage
# --------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def mm_open_store(url: str, runtime: Runtime, create: bool) -> Store | None:
    """Open the storage backend for a database URL.

    Called by :meth:`mmcore.runtime.Runtime.open_store`, at most once per runtime.
    **firstresult**: the first backend that accepts the URL wins.

    :param url: the ``[database] url`` setting, e.g. ``sqlite:///mirrormanager.db`` or
        ``postgresql+psycopg://user@host/db``.
    :param runtime: the runtime asking.
    :param create: ``True`` when the caller builds the database (``db upgrade``, ``import``,
        ``dataset``): the backend may create it (an SQLite file).  ``False``: an absent database
        is an error (:class:`mmcore.store.StoreError`), never created.
    :return: an object implementing :class:`mmcore.store.Store`, or ``None`` when this backend
        does not handle the URL's scheme.
    """


# --------------------------------------------------------------------------------------------
# master-tree scanning (UMDL)
# --------------------------------------------------------------------------------------------


@hookspec
def mm_scanner_sources(runtime: Runtime) -> list[ScannerSource]:
    """Contribute master-tree scanner sources.

    Called by the scan engine before a scan.  A source is named by ``[[umdl.master]] source``
    (``directory``, ``fullfiletimelist``, ``rsync``, ``file``).

    :param runtime: the runtime of the scan (a source reads its plugin's settings from it).
    :return: a list of :class:`mmcore.scan.source.ScannerSource`; each has a unique ``name``
        (for two with one name, the first returned wins).
    """


@hookspec
def mm_repository_rules(runtime: Runtime) -> list[RepositoryRule | RepositoryRuleConfig]:
    """Contribute repository prefix rules (data, not code paths) to the scanner.

    Called by the scan engine when it classifies repository directories.  Rules from plugins
    are consulted after those of ``[[umdl.repository_rule]]`` and before the built-in table, so
    a distribution can add or override prefixes for its own categories.

    :param runtime: the runtime of the scan.
    :return: a list of :class:`mmcore.scan.repomap.RepositoryRule` (or of
        :class:`mmcore.scan.config.RepositoryRuleConfig`, compiled by the engine).
    """


# --------------------------------------------------------------------------------------------
# crawling
# --------------------------------------------------------------------------------------------


@hookspec
def mm_crawl_protocols(runtime: Runtime) -> list[CrawlProtocol]:
    """Contribute crawl protocols, one per URL scheme family.

    Called by ``crawl``, ``crawl propagation`` and ``import`` (which accepts the URL schemes of
    installed protocols).

    :param runtime: the runtime (a protocol reads its plugin's settings from it, e.g.
        ``[rsync]``).
    :return: a list of :class:`mmcore.crawl.protocol.CrawlProtocol`.  Each declares the URL
        ``schemes`` it handles (``("http", "https")``) and a ``preference`` (lower is tried
        first; rsync 10, http(s) 20, ftp 30).  Two protocols claiming a scheme: the lower
        preference wins.
    """


# --------------------------------------------------------------------------------------------
# cache writing and serving
# --------------------------------------------------------------------------------------------


@hookspec
def mm_cache_writers(runtime: Runtime) -> list[CacheWriter]:
    """Contribute cache writers: the output formats of ``mirrormanager cache write``.

    :param runtime: the runtime of the command.
    :return: a list of :class:`mmcore.cache.CacheWriter`, each with a unique ``name``
        (``protobuf`` for the mirrorlist-server cache).
    """


@hookspec(firstresult=True)
def mm_explain_answer(
    runtime: Runtime, path: str, query: str, address: str
) -> dict[str, object] | None:
    """Explain what a package manager at ``address`` would be answered for ``path?query``,
    from the cache the list server serves (the web UI's "what would a client get" page).

    **firstresult**: the first list-server plugin that can answer wins.

    :param runtime: the runtime of the asking process (its configuration names the cache).
    :param path: the request path, ``/mirrorlist`` or ``/metalink``.
    :param query: the query string without ``?`` (``repo=…&arch=…`` or ``path=…``, plus any
        other parameter the list server takes); ``explain=1`` is implied.
    :param address: the client's IPv4 or IPv6 address, as ``ip=`` would give it.
    :return: the JSON document of ``explain=1`` (client, tiers with the hosts taken and
        dropped and why, final order, the plain answer), or ``None`` when this plugin has no
        cache to explain from.
    """


@hookspec
def mm_frontends() -> list[Frontend]:
    """Contribute servers that ``mirrormanager serve NAME`` (and the demo) can run.

    Called when the command line is built: return light descriptions (a frontend imports its
    server when :meth:`~mmcore.frontend.Frontend.serve` runs).

    :return: a list of :class:`mmcore.frontend.Frontend`, each with a unique ``name``
        (``mirrorlist``, ``ui``).
    """


@hookspec
def mm_runtime_closing(runtime: Runtime) -> None:
    """The runtime is closing: the command ended, or the frontends stopped.

    Called once, before the store is closed, for every plugin on its own (one that raises is
    logged with its name; the others still run).  Flush queues, stop threads, close
    connections; do not block for long.

    :param runtime: the runtime being closed.
    """


# --------------------------------------------------------------------------------------------
# events: announced with Runtime.announce; every implementation is called on its own (one that
# raises is logged with its plugin's name and the others still run); results are ignored.
# Implementations must not block: hand slow work (a message bus) to a queue of your own.
# --------------------------------------------------------------------------------------------


@hookspec
def mm_event_host_crawled(event: HostCrawled, runtime: Runtime) -> None:
    """A host's crawl finished (successfully or not) and its result was recorded.

    Announced by the crawl engine, once per host, after the database write.

    :param event: the host, its status and directory counts.
    :param runtime: the crawl's runtime.
    """


@hookspec
def mm_event_crawl_started(event: CrawlStarted, runtime: Runtime) -> None:
    """A crawl starts (``mirrormanager crawl``), before any host is crawled.

    With ``--processes N`` it is announced by the parent (``event.part`` is ``None``) before the
    children start, and by each child (``event.part`` is its ``i:N``).  A metrics exporter
    starts serving here.

    :param event: how the crawl is split.
    :param runtime: the announcing process's runtime.
    """


@hookspec
def mm_event_crawl_finished(event: CrawlFinished, runtime: Runtime) -> None:
    """A crawl ended, also when interrupted; announced by whoever announced its start.

    :param event: the hosts crawled and how their crawls ended.
    :param runtime: the announcing process's runtime.
    """


@hookspec
def mm_event_host_disabled(event: HostDisabled, runtime: Runtime) -> None:
    """A host was disabled (``user_active`` set false), e.g. after repeated crawl failures.

    Announced after the change is committed.

    :param event: the host and the reason.
    :param runtime: the announcing runtime.
    """


@hookspec
def mm_event_master_tree_changed(event: MasterTreeChanged, runtime: Runtime) -> None:
    """A scan changed the database's picture of the master tree for one category.

    Announced once per category whose scan wrote anything, after the commit.

    :param event: the category and what changed.
    :param runtime: the scan's runtime.
    """


@hookspec
def mm_event_cache_written(event: CacheWritten, runtime: Runtime) -> None:
    """A cache file was written and renamed into place.

    Announced by ``cache write`` once per written file, after the atomic rename.

    :param event: the writer, the file, its size and generation.
    :param runtime: the command's runtime.
    """


@hookspec
def mm_event_host_added(event: HostAdded, runtime: Runtime) -> None:
    """A host was created (web UI, JSON API), after the commit.

    :param event: the site, the host and the user who added it.
    :param runtime: the announcing runtime.
    """


@hookspec
def mm_event_host_updated(event: HostUpdated, runtime: Runtime) -> None:
    """A host's settings were changed (web UI, JSON API), after the commit.

    :param event: the site, the host as it is now and the user who changed it.
    :param runtime: the announcing runtime.
    """


@hookspec
def mm_event_host_deleted(event: HostDeleted, runtime: Runtime) -> None:
    """A host was deleted (web UI, JSON API), after the commit.

    :param event: the site, the host as it was and the user who deleted it.
    :param runtime: the announcing runtime.
    """


@hookspec
def mm_event_site_deleted(event: SiteDeleted, runtime: Runtime) -> None:
    """A site was deleted with its hosts (web UI, JSON API), after the commit.

    :param event: the site as it was and the user who deleted it.
    :param runtime: the announcing runtime.
    """


@hookspec
def mm_event_host_checked_in(event: HostCheckedIn, runtime: Runtime) -> None:
    """A private mirror's report_mirror check-in was recorded, after the commit.

    :param event: the site, the host and how many of its directories changed.
    :param runtime: the announcing runtime.
    """
