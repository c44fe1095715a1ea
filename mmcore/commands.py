"""Command-line contributions: what a plugin returns from ``mm_cli_commands``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

import attrs

from mmcore.plugins import open_store

if TYPE_CHECKING:
    import pluggy

    from mmcore.config import Config
    from mmcore.store import Store


class CommandError(Exception):
    """The work failed for a reason the user can act on; exit status 1 with this message."""


class UsageError(Exception):
    """Bad arguments or configuration; exit status 2 with this message."""


@attrs.define
class CommandContext:
    """What a running command gets from the core."""

    config: Config
    plugin_manager: pluggy.PluginManager
    out: TextIO
    err: TextIO
    _store: Store | None = None

    def open_store(self) -> Store:
        """The storage backend for ``[database] url`` (opened once, closed by the core)."""
        if self._store is None:
            self._store = open_store(self.config, self.plugin_manager)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


@attrs.frozen
class CliCommand:
    """One ``mirrormanager`` subcommand.

    :param path: the words that name it, e.g. ``("cache", "write")``.
    :param help: one line for ``--help``.
    :param run: ``run(context, args) -> exit status``; raise :class:`CommandError` (status 1) or
        :class:`UsageError` (status 2) with a message instead of printing tracebacks.
    :param configure: adds the command's arguments to its ``argparse`` parser.
    """

    path: tuple[str, ...]
    help: str
    run: Callable[[CommandContext, argparse.Namespace], int]
    configure: Callable[[argparse.ArgumentParser], None] | None = None
