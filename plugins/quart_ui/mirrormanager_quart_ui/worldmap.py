"""The land outline of the world map: shipped data, drawn in the map's projection."""

from __future__ import annotations

import functools


@functools.cache
def land_outline() -> str:
    """SVG path data of the land, equirectangular, 360 x 180 units (empty when not shipped)."""
    return ""
