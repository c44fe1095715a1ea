"""A plugin as a third party would write it: only ``mmcore`` imports, found by entry point.

It also extends the contract: through ``mm_addhooks`` it adds a hook of its own,
``mm_example_greetings``, which other packages implement (``tests/example_greeter``).
"""

from __future__ import annotations

import argparse

import attrs

from mmcore import hookimpl
from mmcore.commands import CliCommand
from mmcore.runtime import Runtime

from mm_example_plugin import hookspecs


@attrs.frozen
class GopherProtocol:
    """Claims ``gopher://`` URLs.  (It has no crawl logic: the test only checks discovery.)"""

    name: str = "gopher"
    schemes: tuple[str, ...] = ("gopher",)
    preference: int = 90


@attrs.frozen
class ExampleSettings:
    greeting: str = "hello"


def run_hello(runtime: Runtime, args: argparse.Namespace) -> int:
    settings = runtime.section("example", ExampleSettings)
    print(f"{settings.greeting}, {args.name}", file=runtime.out)
    # greetings other plugins contribute through this plugin's own hook
    for greeting in runtime.collect("mm_example_greetings", name=args.name):
        print(greeting, file=runtime.out)
    return 0


@hookimpl
def mm_addhooks(plugin_manager) -> None:
    plugin_manager.add_hookspecs(hookspecs)


@hookimpl
def mm_crawl_protocols():
    return [GopherProtocol()]


@hookimpl
def mm_config_sections():
    return {"example": ExampleSettings}


@hookimpl
def mm_cli_commands():
    return [
        CliCommand(
            ("example-hello",),
            "greet (from the example plugin)",
            run_hello,
            lambda parser: parser.add_argument("name"),
        )
    ]
