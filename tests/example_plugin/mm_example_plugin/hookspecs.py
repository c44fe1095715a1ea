"""The example plugin's own hook, for other packages to implement."""

from __future__ import annotations

from mmcore.hookspecs import hookspec


@hookspec
def mm_example_greetings(name: str, runtime) -> list[str]:
    """More greetings for ``mirrormanager example-hello NAME``.

    :param name: who is greeted.
    :param runtime: the command's runtime.
    :return: lines to print after the plugin's own greeting.
    """
