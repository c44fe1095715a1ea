"""Bad deployment files: every problem reported at once, each as ``FILE:LINE: key.path: message``,
exit status 1, and the database exactly as it was (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from import_cli import EXAMPLE, import_text, run, snapshot

from mmcore.deployment_file import MAX_FILE_BYTES


@pytest.fixture
def populated(config_path):
    """A database holding the example, and its export (to check nothing changed)."""
    code, out, err = run(config_path, "import", str(EXAMPLE))
    assert code == 0, err
    return snapshot(config_path)


def rejected(config_path, tmp_path, text: str) -> list[str]:
    """Import ``text``; assert it is refused and the database unchanged; its problem lines."""
    before = snapshot(config_path)
    code, out, err = import_text(config_path, tmp_path, text, name="bad.toml")
    assert code == 1, out
    assert out == ""  # no change list for a refused file
    assert snapshot(config_path) == before
    lines = err.splitlines()
    assert lines[-1] == (
        f"mirrormanager: {tmp_path / 'bad.toml'}: {len(lines) - 1} problem(s), nothing was written"
    )
    prefix = f"{tmp_path / 'bad.toml'}:"
    assert all(line.startswith(prefix) for line in lines[:-1]), lines
    return [line[len(prefix):] for line in lines[:-1]]


# one file, every kind of problem; each expected line is LINE: key.path: message start
EVERYTHING_WRONG = """\
[[arch]]
name = "x86_64"
colour = "blue"

[[category]]
name = "Fedora Linux"
product = "Fedora"
topdir = "/pub/fedora/linux"
canonicalhost = "https://dl.fedoraproject.org"

[[country_continent_redirect]]
country = "IL"
continent = "XY"

[[site]]
name = "Exаmple University"
org_url = "javascript:alert(1)"
speed = 3
admins = ["alice", "bob\\u202e"]

[[site.host]]
name = "mirror.bad.example"
country = "XX"
asn = 99999999999999999999
max_connections = 0
bandwidth_int = "fast"
netblocks = ["10.0.0.0/33"]

[[site.host.category]]
name = "Fedora Linux"
urls = [
  "http://[::1/pub",
  "https://user:secret@bad.example/fedora",
  "https://bad.example:65536/fedora",
  "gopher://bad.example/fedora",
  "https://bad.example/fedora#top",
  "https://bad_host.example/fedora",
]

[[site.host.category]]
name = "Fedora Nonexistent"

[[site]]
name = "Zero\\u200bWidth"

[[site]]
name = "NUL\\u0000"

[[site]]
name = "Example Networks"
comment = "not a site key"
"""

EXPECTED = [
    "3: arch[0].colour: unknown key",
    "8: category[0].topdir: '/pub/fedora/linux' must be a relative path",
    "13: country_continent_redirect[0].continent: unknown continent 'XY'",
    "16: site[0].name: mixes Cyrillic and Latin letters in the word 'Exаmple' "
    "(U+0430 CYRILLIC SMALL LETTER A",
    "17: site[0].org_url: 'javascript:alert(1)' is not an absolute URL",
    "18: site[0].speed: unknown key",
    "19: site[0].admins[1]: contains U+202E RIGHT-TO-LEFT OVERRIDE at character 4",
    "23: site[0].host[0].country: unknown country code 'XX'",
    "24: site[0].host[0].asn: 99999999999999999999 is out of range (expected 1 to 4,294,967,295)",
    "25: site[0].host[0].max_connections: 0 is out of range (expected 1 to 1,000)",
    "26: site[0].host[0].bandwidth_int: is a string 'fast' (expected an integer)",
    "27: site[0].host[0].netblocks[0]: malformed netblock '10.0.0.0/33'",
    "32: site[0].host[0].category[0].urls[0]: URL host part of 'http://[::1/pub' is malformed",
    "33: site[0].host[0].category[0].urls[1]: URL contains a user name or password before '@'",
    "34: site[0].host[0].category[0].urls[2]: URL port '65536' is out of range (expected 1-65535)",
    "35: site[0].host[0].category[0].urls[3]: URL scheme 'gopher' is not supported",
    "36: site[0].host[0].category[0].urls[4]: URL has a fragment",
    "37: site[0].host[0].category[0].urls[5]: URL host 'bad_host.example' is not a valid host name",
    "41: site[0].host[0].category[1].name: unknown category 'Fedora Nonexistent'",
    "44: site[1].name: contains U+200B ZERO WIDTH SPACE at character 5",
    "47: site[2].name: contains U+0000 (a control character) at character 4",
    "51: site[3].comment: unknown key",
]


def test_every_problem_of_a_file_is_reported_at_once(config_path, tmp_path, populated):
    problems = rejected(config_path, tmp_path, EVERYTHING_WRONG)
    assert len(problems) == len(EXPECTED), "\n".join(problems)
    for line, expected in zip(problems, EXPECTED):
        assert line.startswith(expected), (line, expected)
    missing = [line for line in problems if " (" not in line]
    assert not missing  # each says what was expected
    assert "secret" not in "\n".join(problems)  # credentials are not echoed


def test_org_url_is_http_or_https_only(config_path, tmp_path, populated):
    for url in ("ftp://example.org", "data:text/html,x", "https://example.org/#x"):
        text = EXAMPLE.read_text().replace('org_url = "https://example.edu"', f'org_url = "{url}"')
        problems = rejected(config_path, tmp_path, text)
        assert len(problems) == 1 and ": site[0].org_url: " in problems[0], problems


def test_deep_nesting_is_a_problem_not_a_crash(config_path, tmp_path, populated):
    for text in (
        "[[site]]\nname = \"A\"\nx = " + "[" * 2000 + "]" * 2000 + "\n",
        "[[site]]\nname = \"A\"\nx = " + "{a = " * 2000 + "1" + "}" * 2000 + "\n",
        "[" + ".".join(["a"] * 20_000) + "]\n",  # tomllib is quadratic in dotted key parts
    ):
        problems = rejected(config_path, tmp_path, text)
        assert len(problems) == 1
        assert "nest more than 16 levels deep" in problems[0]
        assert problems[0].startswith(("3:", "1:"))


def test_files_too_large_or_not_utf8_are_refused(config_path, tmp_path, populated):
    big = '[[site]]\nname = "A"\ncomment = "' + "x" * MAX_FILE_BYTES + '"\n'
    assert "larger than 16 MiB" in rejected(config_path, tmp_path, big)[0]
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[[site]]\nname = "Universit\xe9"\n')
    code, out, err = run(config_path, "import", str(path))
    assert code == 1
    assert f"{path}:2: not UTF-8: byte 0xe9" in err


def test_long_names_and_lists_are_refused(config_path, tmp_path, populated):
    netblocks = ", ".join(['"10.0.0.0/8"'] * 10_001)
    text = (f'[[site]]\nname = "{"n" * 1_000_000}"\n[[site.host]]\nname = "h.example"\n'
            f'country = "DE"\nnetblocks = [{netblocks}]\n')
    problems = rejected(config_path, tmp_path, text)
    assert problems[0].startswith("2: site[0].name: is 1,000,000 characters long (at most 255)")
    assert problems[1].startswith("6: site[0].host[0].netblocks: has 10,001 entries")
    assert all(len(p) < 300 for p in problems)  # values are shortened in messages


def test_toml_syntax_errors_have_their_line(config_path, tmp_path, populated):
    problems = rejected(config_path, tmp_path, '[[site]]\nname = "A"\n\n[[arch]\n')
    assert problems == ["4: invalid TOML: Expected ']]' at the end of an array declaration "
                        "(column 7)"]


def test_names_that_look_like_existing_ones_are_refused(config_path, tmp_path, populated):
    code, out, err = import_text(config_path, tmp_path, '[[site]]\nname = "ACME"\n')
    assert code == 0, err
    host = '[[site.host]]\nname = "{}"\ncountry = "DE"\n'
    cases = [
        # all-Cyrillic capitals drawn like Latin ones
        ('[[site]]\nname = "АСМЕ"\n', "2: site[0].name: 'АСМЕ' looks like the site 'ACME' "
         "in the database (U+0410 CYRILLIC CAPITAL LETTER A at character 1 differs"),
        # fullwidth letters (NFKC)
        ('[[site]]\nname = "Ｅｘａｍｐｌｅ Networks"\n', "2: site[0].name: 'Ｅｘａｍｐｌｅ Networks' "
         "looks like the site 'Example Networks' in the database"),
        # a digit one for an l, in a host name
        ('[[site]]\nname = "Another"\n' + host.format("mirror.examp1e.edu"),
         "4: site[0].host[0].name: 'mirror.examp1e.edu' looks like the host "
         "'mirror.example.edu' in the database (U+0031 DIGIT ONE at character 13 differs"),
        # a Cyrillic о inside a Latin word
        ('[[site]]\nname = "Example Netwоrks"\n', "2: site[0].name: mixes Cyrillic and Latin "
         "letters in the word 'Netwоrks' (U+043E CYRILLIC SMALL LETTER O"),
    ]
    for text, expected in cases:
        problems = rejected(config_path, tmp_path, text)
        assert len(problems) == 1, problems
        assert problems[0].startswith(expected), problems


def test_names_that_look_like_each_other_in_one_file(config_path, tmp_path, populated):
    text = ('[[site]]\nname = "Acme Mirrors"\n'
            '[[site]]\nname = "Acme  Mirrors"\n'  # two spaces
            '[[site]]\nname = "acme mirrors"\n')
    problems = rejected(config_path, tmp_path, text)
    assert [p.split(":")[0] for p in problems] == ["4", "6"]
    assert "looks like the site 'Acme Mirrors' at site[0].name" in problems[0]


def test_url_owned_by_another_host_is_refused(config_path, tmp_path, populated):
    problems = rejected(config_path, tmp_path, (
        '[[site]]\nname = "Thief"\n[[site.host]]\nname = "t.example.com"\ncountry = "FR"\n'
        '[[site.host.category]]\nname = "Fedora Linux"\n'
        'urls = ["https://mirror.example.edu/fedora/linux"]\n'))
    assert problems == [
        "8: site[0].host[0].category[0].urls[0]: URL 'https://mirror.example.edu/fedora/linux' "
        "is also used by site 'Example University' host 'mirror.example.edu' in the database "
        "category 'Fedora Linux' (a URL belongs to one host category)"
    ]


def test_allowed_country_of_another_host_is_refused(config_path, tmp_path, populated):
    problems = rejected(config_path, tmp_path, (
        '[[site]]\nname = "Other"\n[[site.host]]\nname = "o.example.com"\ncountry = "FR"\n'
        'countries_allowed = ["FR",\n  "CA"]\n'))
    assert problems == [
        "7: site[0].host[0].countries_allowed[1]: country 'CA' is already restricted to site "
        "'Example Networks' host 'internal.example.net' in the database (only one host may list "
        "a country in countries_allowed, as in MirrorManager2)"
    ]


def test_with_prune_a_url_may_move_from_a_removed_host(config_path, tmp_path, populated):
    text = EXAMPLE.read_text().replace('name = "internal.example.net"', 'name = "new.example.net"')
    code, out, err = import_text(config_path, tmp_path, text)
    assert code == 1 and "is also used by site 'Example Networks' host 'internal.example.net'" in err
    code, out, err = import_text(config_path, tmp_path, text, "--prune")
    assert code == 0, err
    assert "- site 'Example Networks' host 'internal.example.net'" in out.splitlines()
    assert "new.example.net" in snapshot(config_path)
