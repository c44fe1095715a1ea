"""The devtools plugin: the ``dataset`` and ``demo`` commands, registered like any plugin's.

Light on purpose (the command line is built from it): it describes the commands and their
arguments; each command's modules -- the generator, trio, httpx -- are imported when it runs."""

from __future__ import annotations

import argparse

from mirrormanager_devtools.dataset.scales import SCALES
from mmcore import hookimpl
from mmcore.commands import CliCommand


def configure_dataset(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", choices=sorted(SCALES), required=True,
                        help="small (~1/100 of Fedora, for tests) or fedora (~5M host "
                             "category directories)")
    parser.add_argument("--seed", type=int, default=1,
                        help="random seed; the same seed gives the same database (default 1)")


def configure_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", default="demo", help="working directory (default ./demo)")
    parser.add_argument(
        "--listen",
        default="127.0.0.1:0",
        metavar="HOST:PORT",
        help="where the list server listens (default: a free port on 127.0.0.1)",
    )


@hookimpl
def mm_cli_commands() -> list[CliCommand]:
    return [
        CliCommand(("dataset",), "fill an empty database with a synthetic deployment (for "
                   "tests and benchmarks)", "mirrormanager_devtools.dataset.command:run",
                   configure_dataset),
        CliCommand(("demo",), "the whole system end to end on loopback, until Ctrl-C",
                   "mirrormanager_devtools.demo.command:run", configure_demo),
    ]
