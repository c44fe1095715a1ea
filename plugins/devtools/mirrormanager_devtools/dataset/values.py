"""Made-up values the tables are made of: words, account names, hex digests, netblocks, and a
fast ``randint`` for hot loops."""

from __future__ import annotations

import random
from collections.abc import Callable

SYLLABLES = ("ka", "lo", "mi", "ra", "ven", "tor", "sa", "li", "no", "bra", "del", "fin", "gar",
             "ho", "is", "ju", "kel", "mar", "nor", "ost", "pan", "qui", "ros", "sil", "tan", "ul",
             "var", "wen", "xen", "yo", "zor", "ber", "cal", "dor", "el", "fra", "gen", "hal")


def word(rng: random.Random) -> str:
    r = rng.random
    n = len(SYLLABLES)
    text = SYLLABLES[int(r() * n)] + SYLLABLES[int(r() * n)]
    if r() < 0.33:
        text += SYLLABLES[int(r() * n)]
    return text.capitalize()


def between(r: Callable[[], float], low: int, high: int) -> int:
    """``randint`` for hot loops: ``random()`` arithmetic instead of rejection sampling."""
    return low + int(r() * (high - low + 1))


def hex_digits(rng: random.Random, bits: int) -> str:
    return format(rng.getrandbits(bits), f"0{bits // 4}x")


def username(rng: random.Random) -> str:
    """A made-up account name."""
    return (rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + rng.choice(SYLLABLES)
            + (str(rng.randint(1, 99)) if rng.random() < 0.2 else ""))


_V4_PREFIXES = ((24, 30), (23, 8), (22, 15), (21, 8), (20, 14), (19, 6), (18, 5), (17, 4),
                (16, 10))
_V6_PREFIXES = ((32, 40), (29, 10), (36, 10), (40, 10), (44, 10), (48, 20))


def random_netblock(rng: random.Random) -> str:
    """A CIDR block of a realistic size, aligned, in public address space."""
    if rng.random() < 0.8:
        prefix = rng.choices([p for p, _ in _V4_PREFIXES], weights=[w for _, w in _V4_PREFIXES])[0]
        while True:
            first = rng.randint(1, 223)
            if first not in (10, 100, 127, 169, 172, 192, 198, 203):
                break
        value = (first << 24 | rng.getrandbits(24)) & (0xFFFFFFFF << (32 - prefix))
        octets = ".".join(str(value >> s & 0xFF) for s in (24, 16, 8, 0))
        return f"{octets}/{prefix}"
    prefix = rng.choices([p for p, _ in _V6_PREFIXES], weights=[w for _, w in _V6_PREFIXES])[0]
    value = (0x2 << 124 | rng.getrandbits(124)) & (((1 << 128) - 1) << (128 - prefix))
    groups = [value >> (112 - 16 * i) & 0xFFFF for i in range(prefix // 16 + (prefix % 16 > 0))]
    return ":".join(format(g, "x") for g in groups) + f"::/{prefix}"
