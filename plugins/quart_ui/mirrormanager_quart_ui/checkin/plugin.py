"""Hook implementations of the report_mirror endpoint (its own entry point, so it plugs into
the web UI the way a third-party plugin would).  Light: nothing is imported before it is used."""

from __future__ import annotations

from mmcore import hookimpl


@hookimpl
def mm_config_sections() -> dict[str, type]:
    from mmcore.checkin.config import CheckinConfig

    return {"checkin": CheckinConfig}
