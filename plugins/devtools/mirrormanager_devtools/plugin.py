"""The demo, registered like any plugin's command."""

from mmcore import hookimpl
from mmcore.demo.command import DEMO_COMMAND


@hookimpl
def mm_cli_commands():
    return [DEMO_COMMAND]
