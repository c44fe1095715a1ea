"""A plugin as a third party would write it: only ``mmcore`` imports, found by entry point."""

from __future__ import annotations

import argparse

import attrs

from mmcore import hookimpl
from mmcore.commands import CliCommand, CommandContext


@attrs.frozen
class GopherProtocol:
    """Claims ``gopher://`` URLs.  (It has no crawl logic: the test only checks discovery.)"""

    name: str = "gopher"
    schemes: tuple[str, ...] = ("gopher",)
    preference: int = 90


@attrs.frozen
class ExampleSettings:
    greeting: str = "hello"


def run_hello(ctx: CommandContext, args: argparse.Namespace) -> int:
    settings = ctx.config.section("example", ExampleSettings)
    print(f"{settings.greeting}, {args.name}", file=ctx.out)
    return 0


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
