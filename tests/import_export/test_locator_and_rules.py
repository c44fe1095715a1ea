"""The pieces under the import's messages, without a database: the TOML locator (key path ->
line), the value rules (names, text, URLs) and the confusables skeleton."""

from __future__ import annotations

import tomllib

import pytest

from mmcore.confusables import mixed_script_problem, skeleton
from mmcore.field_rules import name_problem, text_problem, url_problem
from mmcore.toml_locator import format_key_path, scan_toml

LAYOUT_TEXT = '''\
# a comment [not a header]
[[site]]
name = "A"   # "quoted" in a comment
"odd key" = 'literal \\ string'
[[site.host]]
name = "h1"
category = [
  {name = "x", urls = ["a",
     "b"]},
  { name = """multi
line ] } with brackets""", private_urls = ['c'] },
]
[[site.host]]
name = "h2"
netblocks = [ "192.0.2.0/24", # first
              "198.51.100.0/24" ]
[[site]]
name = "B"
t = {a = {b = [1, [2, 3]]}}
[site.extra]
dotted.key = 1
'''


def test_locator_finds_each_key_array_element_and_header():
    layout = scan_toml(LAYOUT_TEXT)
    tomllib.loads(LAYOUT_TEXT)  # the text is valid TOML
    expected = {
        ("site", 0): 2,
        ("site", 0, "name"): 3,
        ("site", 0, "odd key"): 4,
        ("site", 0, "host", 0): 5,
        ("site", 0, "host", 0, "category", 0, "urls", 1): 9,
        ("site", 0, "host", 0, "category", 1): 10,
        ("site", 0, "host", 0, "category", 1, "private_urls", 0): 11,
        ("site", 0, "host", 1, "name"): 14,
        ("site", 0, "host", 1, "netblocks", 1): 16,
        ("site", 1, "name"): 18,
        ("site", 1, "t", "a", "b", 1, 0): 19,
        ("site", 1, "extra"): 20,
        ("site", 1, "extra", "dotted", "key"): 21,
    }
    assert {path: layout.line_of(path) for path in expected} == expected
    # a path not in the text falls back to the nearest enclosing one
    assert layout.line_of(("site", 0, "host", 1, "country")) == 13
    assert layout.line_of(("nothing",)) == 1
    assert format_key_path(("site", 0, "odd key", "urls", 1)) == 'site[0]."odd key".urls[1]'


@pytest.mark.parametrize("text", [
    "a = " + "[" * 5000, "a = [1, 2", 'a = "unterminated', "[[site\nname = 1", "= = =",
    '"""', "a = {b = ", "[a.]\n", "a = [{]}]",
])  # fmt: skip
def test_locator_never_fails_on_broken_text(text):
    layout = scan_toml(text, depth_limit=16)
    assert layout.max_depth <= 18


def test_name_and_text_rules():
    assert name_problem("Université de Liège") is None
    assert name_problem("Яндекс") is None
    assert "U+200D ZERO WIDTH JOINER" in name_problem("a\u200db")
    assert "U+2066 LEFT-TO-RIGHT ISOLATE" in name_problem("a\u2066b")
    assert "U+00A0 NO-BREAK SPACE" in name_problem("a\u00a0b")
    assert "starts or ends with a space" in name_problem("name ")
    assert text_problem("two\nlines\tand a tab") is None
    assert "U+202E" in text_problem("evil\u202etxt")
    assert "U+0007 (a control character)" in text_problem("bell\x07")


@pytest.mark.parametrize(("url", "problem"), [
    ("https://mirror.example.org/pub", None),
    ("rsync://[2001:db8::1]:873/pub", None),
    ("https://bücher.example/pub", None),
    ("https://xn--bcher-kva.example/pub", None),
    ("http://192.0.2.1:8080/pub", None),
    ("http://[::1/pub", "malformed"),
    ("http://[2001:db8::zz]/pub", "not an IPv6 address"),
    ("http://999.1.1.1/pub", "not an IPv4 address"),
    ("https://u:p@h.example/", "user name or password"),
    ("https://h.example:0/", "port '0' is out of range"),
    ("https://h.example:99999/", "port '99999' is out of range"),
    ("https://h.example:x/", "port 'x' is out of range"),
    ("https://h.example/a#", "fragment"),
    ("https://h.example/a?b=1", "query"),
    ("https://h.example/a%2", "'%'"),
    ("https://-h.example/", "not a valid host name"),
    ("https://" + "a" * 64 + ".example/", "not a valid host name"),
    ("https:///pub", "no host name"),
    ("mailto:x@example.org", "not an absolute URL"),
    ("https://h.example/a\u200bb", "U+200B"),
    ("https://h.example/" + "a" * 3000, "at most 2,048"),
])  # fmt: skip
def test_url_rule_names_the_wrong_part(url, problem):
    found = url_problem(url, schemes={"http", "https", "rsync"})
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found, found


def test_skeleton_and_mixed_scripts():
    assert skeleton("Example") == skeleton("Ехаmple") == skeleton("ＥＸＡＭＰＬＥ")
    assert skeleton("АСМЕ") == skeleton("ACME")  # Cyrillic capitals
    assert skeleton("ΑΒΕ") == skeleton("ABE")  # Greek capitals
    assert skeleton("mirror.examp1e.org") == skeleton("mirror.example.org")
    assert skeleton("modern") == skeleton("modem")  # rn reads as m
    assert skeleton("Example University") != skeleton("Example Universities")
    assert skeleton("ёлка") == skeleton("ëлка")
    assert mixed_script_problem("Netwоrks") is not None  # Cyrillic о
    assert mixed_script_problem("Яндекс Mirror") is None  # one script per word
    assert mixed_script_problem("日本のミラー") is None
