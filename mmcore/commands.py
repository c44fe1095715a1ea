"""Command-line contributions: what a plugin returns from ``mm_cli_commands``."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from mmcore.runtime import Runtime

RunFunction = Callable[["Runtime", argparse.Namespace], int]


class CommandError(Exception):
    """The work failed for a reason the user can act on; exit status 1 with this message."""


class UsageError(Exception):
    """Bad arguments or configuration; exit status 2 with this message."""


@attrs.frozen
class CliCommand:
    """One ``mirrormanager`` subcommand.

    :param path: the words that name it, e.g. ``("cache", "write")``.
    :param help: one line for ``--help``.
    :param run: ``run(runtime, args) -> exit status``, or ``"package.module:function"`` naming
        it, imported only when the command runs (so building the command line imports nothing
        heavy).  Raise :class:`CommandError` (status 1) or :class:`UsageError` (status 2) with a
        message instead of printing tracebacks.
    :param configure: adds the command's arguments to its ``argparse`` parser; it runs whenever
        the command line is built, so it must live in a light module.
    """

    path: tuple[str, ...]
    help: str
    run: RunFunction | str
    configure: Callable[[argparse.ArgumentParser], None] | None = None

    def resolve(self) -> RunFunction:
        """The run function (imported now when ``run`` names it)."""
        if not isinstance(self.run, str):
            return self.run
        module_name, _, function_name = self.run.partition(":")
        function = getattr(importlib.import_module(module_name), function_name, None)
        if function is None:
            raise CommandError(f"command {' '.join(self.path)!r}: {self.run} does not exist")
        return function  # type: ignore[no-any-return]
