"""Hook implementations of the web UI plugin: the ``[ui]`` section, the ``ui`` frontend, the
UI's own hook specifications (``mm_addhooks``), and the built-in pages, navigation and mail
delivery -- registered through the same UI hooks a third-party plugin uses.

Nothing heavy is imported at module level: Quart comes in when a page set is asked for.
"""

from __future__ import annotations

import argparse
from typing import Any

import trio

from mmcore import hookimpl
from mmcore.commands import CliCommand, CommandContext

from mirrormanager_quart_ui import hookspecs
from mirrormanager_quart_ui.config import UiConfig
from mirrormanager_quart_ui.frontend import UiFrontend


@hookimpl
def mm_addhooks(plugin_manager: Any) -> None:
    plugin_manager.add_hookspecs(hookspecs)


@hookimpl
def mm_config_sections():
    return {"ui": UiConfig}


@hookimpl
def mm_frontends():
    return [UiFrontend()]


@hookimpl
def mm_ui_routes(ui: Any) -> list[Any]:
    from mirrormanager_quart_ui.extension import UiRoutes
    from mirrormanager_quart_ui.oidc import oidc
    from mirrormanager_quart_ui.pages.account import account
    from mirrormanager_quart_ui.pages.admin import admin
    from mirrormanager_quart_ui.pages.hosts import hosts
    from mirrormanager_quart_ui.pages.public import health, public
    from mirrormanager_quart_ui.pages.sites import sites

    routes = [UiRoutes(bp) for bp in (public, account, sites, hosts, admin)]
    routes.append(UiRoutes(health))
    if "oidc" in ui.settings.auth:
        routes.append(UiRoutes(oidc))
    return routes


@hookimpl
def mm_ui_navigation() -> list[Any]:
    from mirrormanager_quart_ui.extension import NavEntry

    return [
        NavEntry("Mirrors", "public.mirrors", order=10),
        NavEntry("Propagation", "public.propagation_list", order=20),
        NavEntry("Statistics", "public.statistics", order=30),
        NavEntry("Map", "public.world_map", order=40),
        NavEntry("My sites", "sites.mine", audience="user", order=50),
        NavEntry("All sites", "sites.all_sites", audience="admin", order=60),
        NavEntry("Admin", "admin.index", audience="admin", order=70),
        NavEntry("Log in", "account.login_form", audience="anonymous", order=90),
    ]


@hookimpl
def mm_ui_send_mail(message: Any, ui: Any) -> bool:
    from mirrormanager_quart_ui.mail import deliver

    return deliver(message, ui.settings)


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
