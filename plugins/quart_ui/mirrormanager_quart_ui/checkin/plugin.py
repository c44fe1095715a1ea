"""Hook implementations of the report_mirror endpoint, its own entry point: it plugs into the
web UI through the UI's ``mm_ui_routes`` hook, as a third-party plugin would.  Light: nothing is
imported before it is used."""

from __future__ import annotations

from typing import Any

from mmcore import hookimpl


@hookimpl
def mm_config_sections() -> dict[str, type]:
    from mmcore.checkin.config import CheckinConfig

    return {"checkin": CheckinConfig}


@hookimpl
def mm_ui_routes(runtime: Any, ui: Any) -> list[Any]:
    from mmcore.checkin.config import CheckinConfig

    from mirrormanager_quart_ui.checkin.blueprint import checkin_blueprint
    from mirrormanager_quart_ui.extension import UiRoutes

    blueprint = checkin_blueprint(ui.store, runtime.section("checkin", CheckinConfig),
                                  announce=ui.announce)
    # machine to machine: the site password inside the report authenticates it, never the
    # session cookie, so no CSRF token
    return [UiRoutes(blueprint, csrf_exempt=True)]
