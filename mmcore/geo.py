"""Countries and continents: the ISO 3166 table shipped with the core."""

from __future__ import annotations

import functools
from importlib import resources

CONTINENTS = ("AF", "AN", "AS", "EU", "NA", "OC", "SA")


def parse_country_continent_csv(text: str) -> dict[str, str]:
    """Parse ``CC,CONT`` lines (``#`` comments and blank lines allowed).

    :raises ValueError: naming the line number of a malformed row.
    """
    table: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 2 or len(parts[0]) != 2 or parts[1] not in CONTINENTS:
            raise ValueError(f"line {number}: expected 'CC,CONTINENT', got {line!r}")
        table[parts[0].upper()] = parts[1]
    return table


@functools.cache
def country_continents() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> continent code, for every country."""
    text = resources.files("mmcore.data").joinpath("country_continent.csv").read_text("ascii")
    return parse_country_continent_csv(text)


def is_country_code(code: str) -> bool:
    return code in country_continents()
