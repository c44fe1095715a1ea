"""The ``[ui]`` configuration section."""

from __future__ import annotations

import attrs


@attrs.frozen
class UiConfig:
    #: HOST:PORT the web UI listens on (``serve ui --listen`` overrides)
    listen: str = "127.0.0.1:8080"
    #: shown in the page title
    title: str = "MirrorManager"
