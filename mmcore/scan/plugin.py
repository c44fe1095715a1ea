"""The scanner's built-in plugin: the ``[umdl]`` section, the ``directory`` and
``fullfiletimelist`` sources, and the ``mirrormanager umdl`` command."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mmcore import hookimpl
from mmcore.commands import CliCommand

if TYPE_CHECKING:
    from mmcore.scan.source import ScannerSource


@hookimpl
def mm_config_sections() -> dict[str, type]:
    from mmcore.scan.config import UmdlConfig

    return {"umdl": UmdlConfig}


@hookimpl
def mm_scanner_sources() -> list[ScannerSource]:
    from mmcore.scan.sources import DirectorySource, FullFileTimeListSource

    return [DirectorySource(), FullFileTimeListSource()]


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--category", action="append", default=[], metavar="NAME",
        help="scan only this category (repeatable); ^NAME skips it",
    )
    parser.add_argument(
        "--delete-directories", action="store_true",
        help="delete directories that vanished from the master (never a top directory, never "
             "one still in another category)",
    )
    parser.add_argument(
        "--full", action="store_true",
        help="re-read every directory, even those whose ctime did not change",
    )


@hookimpl
def mm_cli_commands() -> list[CliCommand]:
    return [CliCommand(("umdl",), "scan the master tree into the database",
                       "mmcore.scan.command:run", _configure)]
