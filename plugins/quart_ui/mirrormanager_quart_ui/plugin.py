"""Hook implementations of the web UI plugin: the ``[ui]`` section and the ``ui`` frontend
(run by the core's ``mirrormanager serve ui``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmcore import hookimpl

from mirrormanager_quart_ui.frontend import UiFrontend

if TYPE_CHECKING:
    from mmcore.frontend import Frontend


@hookimpl
def mm_config_sections() -> dict[str, type]:
    from mirrormanager_quart_ui.config import UiConfig

    return {"ui": UiConfig}


@hookimpl
def mm_frontends() -> list[Frontend]:
    return [UiFrontend()]
