"""Countries and continents: the ISO 3166 table shipped with the core.

``mmcore/data/country_continent.csv`` is the one table of the project, in upstream
mirrorlist-server's format and with its content (plus Kosovo): the core reads it to validate
country codes, the list server to find a client's continent.
"""

from __future__ import annotations

import functools
from importlib import resources

CONTINENTS = ("AF", "AN", "AS", "EU", "NA", "OC", "SA")

#: rows of the table that are not countries: GeoIP's legacy pseudo-codes (anonymous proxy,
#: satellite provider, Asia/Pacific, Europe), kept in the file because the list server's
#: answers follow upstream's table row for row
NOT_COUNTRIES = frozenset({"A1", "A2", "AP", "EU"})


def parse_country_continent_csv(text: str) -> dict[str, str]:
    """The countries of a ``country_continent.csv`` in upstream mirrorlist-server's format:
    ``CC,CONT`` lines, a quoted header line, ``#`` comments and blank lines; rows of
    :data:`NOT_COUNTRIES` (continent ``--`` or a pseudo-code) are not countries.

    :raises ValueError: naming the line number of a malformed row.
    """
    table: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith(("#", '"')):
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 2 or len(parts[0]) != 2:
            raise ValueError(f"line {number}: expected 'CC,CONTINENT', got {line!r}")
        code = parts[0].upper()
        if code in NOT_COUNTRIES:
            continue
        if parts[1] not in CONTINENTS:
            raise ValueError(f"line {number}: expected 'CC,CONTINENT', got {line!r}")
        table[code] = parts[1]
    return table


@functools.cache
def country_continents() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> continent code, for every country."""
    return parse_country_continent_csv(country_continent_csv())


def country_continent_csv() -> str:
    """The text of the shipped ``country_continent.csv``."""
    return resources.files("mmcore.data").joinpath("country_continent.csv").read_text("ascii")


def is_country_code(code: str) -> bool:
    return code in country_continents()
