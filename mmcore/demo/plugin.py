"""The demo, registered like any plugin's command (its modules are imported when it runs)."""

from __future__ import annotations

import argparse

from mmcore import hookimpl
from mmcore.commands import CliCommand


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", default="demo", help="working directory (default ./demo)")
    parser.add_argument(
        "--listen",
        default="127.0.0.1:0",
        metavar="HOST:PORT",
        help="where the list server listens (default: a free port on 127.0.0.1)",
    )


@hookimpl
def mm_cli_commands() -> list[CliCommand]:
    return [CliCommand(("demo",), "the whole system end to end on loopback, until Ctrl-C",
                       "mmcore.demo.command:run", configure)]
