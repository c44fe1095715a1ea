"""Hook implementations of the report_mirror client.  Light: the command's work
(``command.py``) is imported only when it runs."""

from __future__ import annotations

import argparse

from mmcore import hookimpl
from mmcore.commands import CliCommand

DEFAULT_CONFIG = "/etc/mirrormanager-client/report_mirror.conf"
DEFAULT_TIMEOUT = 300.0


def configure(parser: argparse.ArgumentParser) -> None:
    # ``-c``/``--config`` is report_mirror's INI file, as it always was; the core's TOML file
    # is still given before the command (``mirrormanager --config mm.toml report-mirror``).  A
    # group made after the parser's conflict handler is set to "resolve" replaces the core's
    # ``--config`` of this subcommand.
    parser.conflict_handler = "resolve"
    options = parser.add_argument_group("report_mirror options")
    options.add_argument("-c", "--config", dest="report_config", metavar="FILE",
                         default=DEFAULT_CONFIG,
                         help=f"report_mirror configuration (INI; default {DEFAULT_CONFIG})")
    options.add_argument("--exclude-from", metavar="FILE",
                         help="directory patterns to leave out, one per line: a directory is "
                              "left out when a pattern is part of its path/")
    options.add_argument("-o", "--output", metavar="FILE",
                         help="also write the report (JSON) to FILE")
    options.add_argument("-n", "--no-send", action="store_true",
                         help="build the report but do not send it")
    options.add_argument("-i", "--input", metavar="FILE",
                         help="start from a report saved with --output instead of walking the "
                              "directories (debugging)")
    options.add_argument("-d", "--debug", action="store_true", help="print the report")
    options.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                         help=f"give up on the server after SECONDS (default {DEFAULT_TIMEOUT:g})")


@hookimpl
def mm_cli_commands() -> list[CliCommand]:
    return [
        CliCommand(
            ("report-mirror",),
            "report what a private mirror carries to MirrorManager (report_mirror's check-in)",
            "mirrormanager_report_mirror.command:run",
            configure,
        )
    ]
