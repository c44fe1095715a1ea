"""Country -> continent table: ``country_continent.csv`` plus the cache's redirects.

The CSV is read leniently, by upstream's rules (``mmcore.geo.read_country_continent`` with
``strict=False``: every line whose first field is exactly two characters counts, so a quoted
header line is skipped).  A ``CountryContinentRedirectCache`` entry of the cache
overrides the continent of a country that is in the CSV; redirects for other countries are
ignored, as upstream does.  The "other countries of the continent" are kept in CSV order
(upstream iterates a hash map, i.e. in no defined order).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs


@attrs.frozen
class Continents:
    #: upper-case country code -> continent code
    continent_of: Mapping[str, str]
    #: continent code -> its countries, in CSV order
    members: Mapping[str, tuple[str, ...]]
    #: country -> the other countries of its continent, in CSV order
    neighbours_of: Mapping[str, tuple[str, ...]]

    @classmethod
    def build(cls, csv_table: Mapping[str, str], redirects: Mapping[str, str]) -> Continents:
        continent_of = {
            country: redirects.get(country, continent) for country, continent in csv_table.items()
        }
        members: dict[str, list[str]] = {}
        for country, continent in continent_of.items():
            members.setdefault(continent, []).append(country)
        neighbours = {
            country: tuple(c for c in members[continent] if c != country)
            for country, continent in continent_of.items()
        }
        return cls(continent_of, {k: tuple(v) for k, v in members.items()}, neighbours)

    def neighbours(self, country: str) -> tuple[str, ...]:
        """The other countries on ``country``'s continent (empty when it has none)."""
        return self.neighbours_of.get(country, ())
