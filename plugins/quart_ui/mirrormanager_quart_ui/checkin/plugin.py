"""Hook implementations of the report_mirror endpoint (its own entry point, so it plugs into
the web UI the way a third-party plugin would)."""

from __future__ import annotations

from mmcore import hookimpl
from mmcore.checkin.config import CheckinConfig


@hookimpl
def mm_config_sections():
    return {"checkin": CheckinConfig}
