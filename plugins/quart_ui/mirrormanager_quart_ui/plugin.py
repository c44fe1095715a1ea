"""Hook implementations of the web UI plugin: the ``[ui]`` section, the ``ui`` frontend (run by
the core's ``mirrormanager serve ui``), the UI's own hook specifications (``mm_addhooks``), and
the built-in pages, navigation and mail delivery -- registered through the same UI hooks a
third-party plugin uses.

Nothing heavy is imported at module level: Quart comes in when the app is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mmcore import hookimpl

from mirrormanager_quart_ui.frontend import UiFrontend

if TYPE_CHECKING:
    from mmcore.frontend import Frontend


@hookimpl
def mm_addhooks(plugin_manager: Any) -> None:
    from mirrormanager_quart_ui import hookspecs

    plugin_manager.add_hookspecs(hookspecs)


@hookimpl
def mm_config_sections() -> dict[str, type]:
    from mirrormanager_quart_ui.config import UiConfig

    return {"ui": UiConfig}


@hookimpl
def mm_frontends() -> list[Frontend]:
    return [UiFrontend()]


@hookimpl
def mm_ui_routes(ui: Any) -> list[Any]:
    from mirrormanager_quart_ui.extension import UiRoutes
    from mirrormanager_quart_ui.pages.account import account
    from mirrormanager_quart_ui.pages.admin import admin
    from mirrormanager_quart_ui.pages.hosts import hosts
    from mirrormanager_quart_ui.pages.public import health, public
    from mirrormanager_quart_ui.pages.simulate import simulate
    from mirrormanager_quart_ui.pages.sites import sites

    routes = [UiRoutes(bp) for bp in (public, health, account, sites, hosts, admin, simulate)]
    if "oidc" in ui.settings.auth:
        from mirrormanager_quart_ui.oidc import oidc

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
