"""The runtime: what the core hands every capability.

A command, a frontend, a cache writer and the scan and crawl engines all receive one
:class:`Runtime`.  It holds the loaded configuration and the process's one plugin manager, opens
the store through the ``mm_open_store`` hook (never a second plugin manager), and announces
events so that a handler which raises is logged with its plugin's name and never breaks the work
that announced it::

    def run(runtime: Runtime, args: argparse.Namespace) -> int:
        store = runtime.open_store()
        ...
        runtime.announce(CacheWritten(writer="protobuf", path=str(path), size=n, generation=g))
        return 0
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from mmcore.logs import kv

if TYPE_CHECKING:
    import pluggy

    from mmcore.config import Config
    from mmcore.events import Event
    from mmcore.plugins import PluginManager
    from mmcore.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")


class Runtime:
    """The configuration, the plugin manager, the store and the event announcer of one process.

    :param config: the loaded, validated configuration.
    :param plugin_manager: the process's plugin manager (every installed plugin registered).
    :param out: where a command writes its results.
    :param err: where a command writes progress and problems.
    :param store: an already open store to use instead of opening one through
        ``mm_open_store`` (embedding, tests); the runtime closes it too.
    """

    def __init__(
        self,
        config: Config,
        plugin_manager: PluginManager,
        *,
        out: TextIO | None = None,
        err: TextIO | None = None,
        store: Store | None = None,
    ) -> None:
        self.config = config
        self.plugin_manager = plugin_manager
        self.out: TextIO = out if out is not None else sys.stdout
        self.err: TextIO = err if err is not None else sys.stderr
        self._store: Store | None = store

    def __repr__(self) -> str:
        return f"Runtime(config={self.config.source or '<defaults>'})"

    @property
    def hook(self) -> pluggy.HookRelay:
        """The plugin manager's hook relay (``runtime.hook.mm_frontends()``)."""
        return self.plugin_manager.hook

    def section(self, name: str, kind: type[T]) -> T:
        """The structured ``[name]`` configuration table (its defaults when the file has none)."""
        return self.config.section(name, kind)

    def collect(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call a hook whose implementations each return a list, with ``runtime=self`` and
        ``kwargs``, and return the lists joined in pluggy's call order."""
        caller = getattr(self.plugin_manager.hook, hook_name)
        joined: list[Any] = []
        for contributed in caller(runtime=self, **kwargs):
            joined.extend(contributed or ())
        return joined

    # ----------------------------------------------------------------------------------------
    # the store
    # ----------------------------------------------------------------------------------------

    def open_store(self, *, create: bool = False) -> Store:
        """The store for ``[database] url``, opened on first use and closed by :meth:`close`.

        :param create: whether the backend may create an absent database (an SQLite file).
            Only commands that build a database pass ``True`` (``db upgrade``, ``import``,
            ``dataset``); everything else fails with a clear message instead of leaving an
            empty database behind.
        :raises mmcore.store.StoreConfigError: no installed plugin handles the URL, or it is
            malformed (a configuration error).
        :raises mmcore.store.StoreMissing: the database does not exist and ``create`` is false.
        :raises mmcore.store.StoreError: the backend could not open it.
        """
        if self._store is None:
            url = self.config.database.url
            store = self.plugin_manager.hook.mm_open_store(url=url, runtime=self, create=create)
            if store is None:
                from mmcore.store import StoreConfigError

                scheme = url.split(":", 1)[0] if ":" in url else url
                raise StoreConfigError(
                    f"[database] url: no installed storage plugin handles {scheme!r} URLs "
                    "(mirrormanager-pg-store handles sqlite: and postgresql: URLs)"
                )
            self._store = store
        return self._store

    def close(self) -> None:
        """Tell the plugins (``mm_runtime_closing``: flush queues, stop threads), then close the
        store if one was opened.  The core calls this when a command ends."""
        self._call_each(self.plugin_manager.hook.mm_runtime_closing, {"runtime": self})
        if self._store is not None:
            store, self._store = self._store, None
            store.close()

    # ----------------------------------------------------------------------------------------
    # events
    # ----------------------------------------------------------------------------------------

    def announce(self, event: Event) -> None:
        """Hand ``event`` to every implementation of its hook (``type(event).hook``).

        Each plugin's handler is called on its own: one that raises is logged with the plugin's
        name and the others still run; nothing is raised to the caller.  Handlers must not
        block (a notifier queues slow work).
        """
        caller = getattr(self.plugin_manager.hook, event.hook, None)
        if caller is None:
            log.error(kv(event="announce_failed", reason="no such hook", hook=event.hook))
            return
        self._call_each(caller, {"event": event, "runtime": self})

    @staticmethod
    def _call_each(caller: Any, arguments: dict[str, Any]) -> None:
        """Call every implementation of ``caller`` on its own; log, never raise, failures."""
        # pluggy calls the last registered implementation first; so do we
        for impl in reversed(caller.get_hookimpls()):
            if getattr(impl, "hookwrapper", False) or getattr(impl, "wrapper", False):
                continue
            try:
                impl.function(*(arguments[name] for name in impl.argnames))
            except Exception as exc:
                log.error(
                    kv(event="event_handler_failed", hook=caller.name, plugin=impl.plugin_name,
                       error=repr(exc)),
                    exc_info=True,
                )
