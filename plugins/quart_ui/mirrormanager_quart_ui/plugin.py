"""Hook implementations of the web UI plugin."""

from __future__ import annotations

import argparse

import trio

from mmcore import hookimpl
from mmcore.commands import CliCommand, CommandContext

from mirrormanager_quart_ui.config import UiConfig
from mirrormanager_quart_ui.frontend import UiFrontend


@hookimpl
def mm_config_sections():
    return {"ui": UiConfig}


@hookimpl
def mm_frontends():
    return [UiFrontend()]


def run_serve_ui(ctx: CommandContext, args: argparse.Namespace) -> int:
    overrides = {"listen": args.listen} if args.listen else {}

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            started = await nursery.start(
                lambda task_status: UiFrontend().serve(
                    ctx.config, overrides=overrides, handle_signals=True, task_status=task_status
                )
            )
            print(f"ui: {started.url}/", file=ctx.out, flush=True)

    trio.run(main)
    return 0


@hookimpl
def mm_cli_commands():
    return [
        CliCommand(
            ("serve", "ui"),
            "run the web UI and JSON API",
            run_serve_ui,
            lambda parser: parser.add_argument("--listen", metavar="HOST:PORT"),
        )
    ]
