"""Hook implementations of the report_mirror client."""

from __future__ import annotations

from mmcore import hookimpl
from mmcore.commands import CliCommand

from mirrormanager_report_mirror import command


@hookimpl
def mm_cli_commands():
    return [
        CliCommand(
            ("report-mirror",),
            "report what a private mirror carries to MirrorManager (report_mirror's check-in)",
            command.run,
            command.configure,
        )
    ]
