"""Names that look alike: a skeleton to compare them, and words that mix look-alike scripts.

Two names are confusable when their :func:`skeleton` is equal: Unicode NFKC (fullwidth and
mathematical letters, ligatures, superscripts become plain ones), then the letters of Cyrillic and
Greek that are drawn like Latin ones (and a few Latin and digit look-alikes, after Unicode's
UTS #39 confusables data) mapped to those, case folded, runs of spaces made one, and the sequences
``rn``, ``vv``, ``cl`` read as ``m``, ``w``, ``d``.

The table covers the scripts whose letters pass for Latin ones, which is how names in a mirror
list get spoofed; it is deliberately small instead of the whole UTS #39 data (the PyPI packages
that ship that data are unmaintained or offer no skeleton to compare two strings with).
"""

from __future__ import annotations

import unicodedata

from mmcore.field_rules import describe_char

# capitals that look like a Latin capital (mapped before case folding: Cyrillic "В" looks like
# "B" but its small form "в" does not look like "b")
_CAPITALS = str.maketrans({
    # Cyrillic
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "l", "Ј": "J", "Ԛ": "Q", "Ԝ": "W", "Ү": "Y",
    "Ӏ": "l",
    # Greek
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "l", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C",
    # Latin capital I is drawn like small l
    "I": "l",
})  # fmt: skip

# small letters and symbols that look like a small Latin letter (applied after case folding
# and canonical decomposition, so accented forms match too: Cyrillic "ё" -> "ë")
_SMALL = str.maketrans({
    # Cyrillic
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "i",
    "ј": "j", "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ү": "y",
    # Greek
    "α": "a", "ο": "o", "ρ": "p", "ν": "v", "ι": "i", "κ": "k", "υ": "u", "χ": "x", "γ": "y",
    "ϲ": "c", "ϳ": "j", "ω": "w",
    # Latin and digits
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g", "ɩ": "i", "0": "o", "1": "l", "|": "l",
    # dashes
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
})  # fmt: skip

_SEQUENCES = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_LOOKALIKE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})


def skeleton(text: str) -> str:
    """The form two look-alike names share (see the module docstring)."""
    folded = unicodedata.normalize("NFKC", text).translate(_CAPITALS).casefold()
    result = unicodedata.normalize("NFD", folded).translate(_SMALL)
    for sequence, replacement in _SEQUENCES:
        result = result.replace(sequence, replacement)
    return " ".join(result.split())


def first_difference(name: str, other: str) -> str:
    """Where ``name`` differs from ``other``, for a message: ``U+043E CYRILLIC SMALL LETTER O
    at character 9`` (or ``different letter case`` when that is all)."""
    for index, (a, b) in enumerate(zip(name, other)):
        if a != b:
            if a.casefold() == b.casefold():
                return f"letter case at character {index + 1}"
            return f"{describe_char(a)} at character {index + 1}"
    return "spacing or length"


def mixed_script_problem(text: str) -> str | None:
    """A word that mixes Latin, Cyrillic and Greek letters (``Exаmple`` with a Cyrillic ``а``)."""
    for word in _words(text):
        scripts = {_script(char) for char in word} & _LOOKALIKE_SCRIPTS
        if len(scripts) > 1:
            odd = next(c for c in word if _script(c) != _script(word[0]))
            return (
                f"mixes {' and '.join(sorted(s.title() for s in scripts))} letters in the word "
                f"{word[:40]!r} ({describe_char(odd)}; write each word in one script)"
            )
    return None


def _script(char: str) -> str:
    return unicodedata.name(char, "?").split(" ", 1)[0]


def _words(text: str) -> list[str]:
    words, current = [], []
    for char in text:
        if char.isalpha():
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words
