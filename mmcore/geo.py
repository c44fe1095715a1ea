"""Countries and continents: the ISO 3166 table shipped with the core, and the one reader of
``country_continent.csv`` files.

``mmcore/data/country_continent.csv`` is the one table of the project, in upstream
mirrorlist-server's format and with its content (plus Kosovo): the core reads it strictly to
validate country codes, the list server leniently (upstream's rules) to find a client's
continent, from this file or from one the operator names.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

CONTINENTS = ("AF", "AN", "AS", "EU", "NA", "OC", "SA")

#: rows of the table that are not countries: GeoIP's legacy pseudo-codes (anonymous proxy,
#: satellite provider, Asia/Pacific, Europe), kept in the file because the list server's
#: answers follow upstream's table row for row
NOT_COUNTRIES = frozenset({"A1", "A2", "AP", "EU"})


def parse_country_continent_csv(text: str, *, strict: bool = True) -> dict[str, str]:
    """Code -> continent from the text of a ``country_continent.csv`` (``CC,CONT`` lines).

    ``strict`` (the core's reading): the countries only.  A quoted header line, ``#`` comments
    and blank lines are skipped, so are the rows of :data:`NOT_COUNTRIES`; every other row must
    be a two-letter code and one of :data:`CONTINENTS`.

    Lenient (upstream mirrorlist-server's reading, for the list server): every line whose first
    comma-separated field is exactly two characters counts as it is, pseudo-codes and unknown
    continents included (``A1,--``); every other line is skipped.

    :raises ValueError: strict, naming the line number of a malformed row.
    """
    table: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not strict:
            fields = line.strip().split(",")
            if len(fields) >= 2 and len(fields[0]) == 2:
                table[fields[0]] = fields[1].strip()
            continue
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


def read_country_continent(path: Path | None = None, *, strict: bool) -> dict[str, str]:
    """The table of the CSV at ``path``, or of the shipped one when ``path`` is ``None``, read
    as :func:`parse_country_continent_csv` does.

    :raises ValueError: a malformed row (strict), or no row at all (either way).
    :raises OSError: ``path`` cannot be read.
    """
    text = country_continent_csv() if path is None else path.read_text(encoding="utf-8")
    name = path or "country_continent.csv"
    try:
        table = parse_country_continent_csv(text, strict=strict)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    if not table:
        raise ValueError(f"{name}: no 'CC,CONTINENT' lines")
    return table


@functools.cache
def country_continents() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> continent code, for every country."""
    return read_country_continent(strict=True)


def country_continent_csv() -> str:
    """The text of the shipped ``country_continent.csv``."""
    return resources.files("mmcore.data").joinpath("country_continent.csv").read_text("ascii")


def is_country_code(code: str) -> bool:
    return code in country_continents()
