"""The land outline of the world map: shipped data, drawn in the map's projection.

``data/land-110m.json`` is world-atlas's TopoJSON of Natural Earth's 1:110m land (npm package
``world-atlas`` 2.0.2, see ``data/LICENSE.world-atlas``).  It is decoded once into SVG path data
in an equirectangular projection of 360 x 180 units (x = longitude + 180, y = 90 - latitude).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any


def _arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """The topology's arcs as (longitude, latitude) points (delta-decoded, untransformed)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def _ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def _subpaths(points: list[tuple[float, float]]) -> str:
    """A ring as path data, cut where it crosses the antimeridian (a jump of more than 180
    degrees of longitude would draw a line across the whole map)."""
    text, previous = [], None
    for lon, lat in points:
        command = "M" if previous is None or abs(lon - previous) > 180 else "L"
        text.append(f"{command}{lon + 180:.1f},{90 - lat:.1f}")
        previous = lon
    return "".join(text) + "Z"


def topology_path(topology: dict[str, Any], object_name: str) -> str:
    """SVG path data of every polygon of ``object_name``."""
    arcs = _arcs(topology)
    parts = []
    for geometry in topology["objects"][object_name]["geometries"]:
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            for ring in polygon:
                points = _ring(arcs, ring)
                if len(points) > 2:
                    parts.append(_subpaths(points))
    return "".join(parts)


@functools.cache
def land_outline() -> str:
    """SVG path data of the land (360 x 180 units)."""
    text = resources.files("mirrormanager_quart_ui").joinpath("data/land-110m.json").read_text()
    return topology_path(json.loads(text), "land")
