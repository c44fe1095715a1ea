"""The ``[ui]`` configuration section."""

from __future__ import annotations

import attrs

from mmcore.validators import listen_address


@attrs.frozen
class UiConfig:
    #: HOST:PORT the web UI listens on (``serve ui --listen`` overrides)
    listen: str = attrs.field(default="127.0.0.1:8080", validator=listen_address)
    #: shown in the page title
    title: str = "MirrorManager"
