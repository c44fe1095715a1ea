"""The plugin manager: every plugin, built-in or third-party, comes from the ``mirrormanager``
entry-point group."""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Iterable

import attrs
import pluggy

from mmcore import hookspecs
from mmcore.hookspecs import PROJECT_NAME


log = logging.getLogger(__name__)


class PluginError(Exception):
    """Plugins contradict each other (two claim the same command or configuration section)."""


@attrs.frozen
class BrokenPlugin:
    """An entry point that could not be imported or registered."""

    name: str
    distribution: str
    error: str


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, remembering where each plugin came from and which failed to load."""

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        # historic: every plugin registered from now on gets the call as it is registered
        self.hook.mm_addhooks.call_historic(kwargs={"plugin_manager": self})
        #: plugin name -> (distribution name, version), for plugins loaded from entry points
        self.distributions: dict[str, tuple[str, str]] = {}
        #: entry points that could not be imported or registered (each also logged)
        self.broken: list[BrokenPlugin] = []

    def load_entry_points(self) -> None:
        """Load every ``mirrormanager`` entry point; one broken package is reported and skipped
        instead of taking every command down with it."""
        for dist in importlib.metadata.distributions():
            for entry_point in dist.entry_points:
                if entry_point.group != PROJECT_NAME or self.get_plugin(entry_point.name):
                    continue
                dist_name = dist.metadata["name"]
                try:
                    self.register(entry_point.load(), name=entry_point.name)
                except Exception as exc:
                    log.error(
                        "plugin=%s distribution=%s failed to load: %r",
                        entry_point.name,
                        dist_name,
                        exc,
                    )
                    self.broken.append(BrokenPlugin(entry_point.name, dist_name, repr(exc)))
                    continue
                self.distributions[entry_point.name] = (dist_name, dist.version)

    def drop_unmatched(self) -> None:
        """Unregister, and list as broken, each plugin implementing a hook that no plugin
        specified (a typo, or a hook of a plugin that is not installed); the rest keep working."""
        for _ in range(len(self.get_plugins()) + 1):
            try:
                self.check_pending()
                return
            except pluggy.PluginValidationError as exc:
                plugin = exc.plugin
                name = self.get_name(plugin) or repr(plugin)
                dist_name, _version = self.distributions.pop(name, ("(registered in process)", ""))
                log.error("plugin=%s distribution=%s dropped: %s", name, dist_name, exc)
                self.broken.append(BrokenPlugin(name, dist_name, str(exc)))
                self.unregister(plugin)


def get_plugin_manager(
    *, load_entry_points: bool = True, extra_plugins: Iterable[object] = ()
) -> PluginManager:
    """A plugin manager with the hook specifications and every installed plugin registered.

    :param extra_plugins: objects registered in addition (tests use this for in-process plugins).
    """
    pm = PluginManager()
    if load_entry_points:
        pm.load_entry_points()
    for plugin in extra_plugins:
        pm.register(plugin)
    pm.drop_unmatched()
    return pm


@attrs.frozen
class PluginInfo:
    name: str
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]


def describe_plugins(pm: PluginManager) -> list[PluginInfo]:
    """Every registered plugin with its distribution, version and implemented hooks, by name."""
    dists = pm.distributions
    infos = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:  # blocked
            continue
        dist_name, version = dists.get(name, (None, None))
        hooks = tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or ()))
        infos.append(
            PluginInfo(
                name=name,
                distribution=dist_name,
                version=version,
                hooks=hooks,
            )
        )
    return sorted(infos, key=lambda info: info.name)
