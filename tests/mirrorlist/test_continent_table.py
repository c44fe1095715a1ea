"""One country -> continent table for the whole project: the core's country validation and the
list server's continent tier read the same file and agree on every country."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmcore.geo import (
    NOT_COUNTRIES,
    country_continents,
    is_country_code,
    parse_country_continent_csv,
    read_country_continent,
)


def test_core_and_list_server_agree_on_every_country() -> None:
    core = country_continents()
    server = read_country_continent(None, strict=False)
    assert len(core) >= 249
    assert {code: server[code] for code in core} == core
    # what only the server sees: upstream's pseudo-code rows, with upstream's continents
    assert set(server) - set(core) == NOT_COUNTRIES
    assert (server["A1"], server["A2"], server["AP"], server["EU"]) == ("--", "--", "AS", "EU")


def test_upstream_rows_and_the_addition() -> None:
    table = country_continents()
    assert table["IO"] == "AF"  # as in upstream's table (the core once said AS)
    assert table["XK"] == "EU"  # not in upstream's table; GeoIP databases report it
    assert table["IL"] == "AS" and table["US"] == "NA" and table["DE"] == "EU"
    assert not is_country_code("A1") and not is_country_code("EU") and is_country_code("XK")


def test_parse_rejects_malformed_rows_with_their_line() -> None:
    good = '"iso 3166 country","continent code"\nA1,--\nDE,EU\n# comment\n\nUS,NA\n'
    assert parse_country_continent_csv(good) == {"DE": "EU", "US": "NA"}
    with pytest.raises(ValueError, match="line 2"):
        parse_country_continent_csv("DE,EU\nFR,XX\n")
    with pytest.raises(ValueError, match="line 1"):
        parse_country_continent_csv("DEU,EU\n")


def test_lenient_reading_keeps_what_upstream_keeps(tmp_path: Path) -> None:
    text = '"iso 3166 country","continent code"\nA1,--\nde, EU \nDEU,EU\nFR,XX\n# c\n\nxx\n'
    assert parse_country_continent_csv(text, strict=False) == {"A1": "--", "de": "EU", "FR": "XX"}
    with pytest.raises(ValueError, match="line 4"):
        parse_country_continent_csv(text, strict=True)
    path = tmp_path / "continents.csv"
    path.write_text(text)
    assert read_country_continent(path, strict=False)["FR"] == "XX"
    with pytest.raises(ValueError, match=f"{path}: line 4"):
        read_country_continent(path, strict=True)
    path.write_text('"iso 3166 country","continent code"\n')
    for strict in (True, False):
        with pytest.raises(ValueError, match="no 'CC,CONTINENT' lines"):
            read_country_continent(path, strict=strict)
