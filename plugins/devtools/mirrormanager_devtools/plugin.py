"""The devtools plugin: the ``dataset`` and ``demo`` commands, registered like any plugin's.

Light on purpose: the command line is built from these definitions without importing the
generator, trio or httpx; a command's modules are imported when it runs."""

from __future__ import annotations

import argparse

from mirrormanager_devtools.dataset.command import DATASET_COMMAND
from mmcore import hookimpl
from mmcore.commands import CliCommand, CommandContext


def _run_demo(ctx: CommandContext, args: argparse.Namespace) -> int:
    from mirrormanager_devtools.demo.command import run

    return run(ctx, args)


def _configure_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", default="demo", help="working directory (default ./demo)")
    parser.add_argument(
        "--listen",
        default="127.0.0.1:0",
        metavar="HOST:PORT",
        help="where the list server listens (default: a free port on 127.0.0.1)",
    )


DEMO_COMMAND = CliCommand(
    ("demo",), "the whole system end to end on loopback, until Ctrl-C", _run_demo, _configure_demo
)


@hookimpl
def mm_cli_commands() -> list[CliCommand]:
    return [DATASET_COMMAND, DEMO_COMMAND]
