"""Rules for values people type into MirrorManager: names, free text, URLs, host names, numbers.

Each ``*_problem`` function returns ``None`` for a good value, else one sentence saying what is
wrong and, in parentheses, what was expected; callers add where (a file line and key path, a form
field).  Messages never echo a value in full: long values are shortened and credentials are not
repeated.  The import (:mod:`mmcore.deployment_schema`) uses them; forms should too.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Collection
from urllib.parse import urlsplit

import idna

#: longest name of a site, host, category, product, arch, admin, repository prefix
MAX_NAME = 255
#: longest free text (host comment, site downstream comments)
MAX_TEXT = 10_000
#: longest URL (host category URL, org_url, canonicalhost)
MAX_URL = 2_048
#: longest DNS name (RFC 1035: 253 characters in text form)
MAX_HOSTNAME = 253
#: the largest 32-bit unsigned integer: AS numbers (RFC 6793) go up to it
MAX_ASN = 2**32 - 1

# characters that reorder text (Unicode bidi embeddings, overrides and isolates: the
# "Trojan source" characters); refused even in free text
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# categories never allowed in a name: controls, format characters (zero-width, bidi marks,
# soft hyphen, BOM), surrogates, private use, unassigned, line and paragraph separators
_NAME_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_TEXT_ALLOWED_CONTROLS = frozenset("\t\n\r")
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def show(value: object, limit: int = 60) -> str:
    """``repr`` of a value for a message, shortened to about ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}...' ({len(str(value)):,} characters)"


def describe_char(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE`` (controls, which have no name: ``U+0000 (a control
    character)``)."""
    name = unicodedata.name(char, "")
    if not name:
        kind = "a control" if unicodedata.category(char) == "Cc" else "an unassigned"
        return f"U+{ord(char):04X} ({kind} character)"
    return f"U+{ord(char):04X} {name}"


def name_problem(value: str, *, max_length: int = MAX_NAME) -> str | None:
    """A name someone reads on a page: printable, no edge spaces, at most ``max_length``."""
    if not value.strip():
        return "must not be empty (expected a name)"
    if len(value) > max_length:
        return f"is {len(value):,} characters long (at most {max_length})"
    for index, char in enumerate(value):
        category = unicodedata.category(char)
        if category in _NAME_FORBIDDEN_CATEGORIES or (category == "Zs" and char != " "):
            return (
                f"contains {describe_char(char)} at character {index + 1} (names may hold "
                "letters, digits, punctuation and plain spaces; no control, invisible or "
                "direction-changing characters)"
            )
    if value != value.strip():
        return "starts or ends with a space (remove it)"
    return None


def text_problem(value: str, *, max_length: int = MAX_TEXT) -> str | None:
    """Free text (comments): line breaks and tabs allowed, other controls and bidi controls not."""
    if len(value) > max_length:
        return f"is {len(value):,} characters long (at most {max_length:,})"
    for index, char in enumerate(value):
        if char in BIDI_CONTROLS or (
            unicodedata.category(char) in ("Cc", "Cs") and char not in _TEXT_ALLOWED_CONTROLS
        ):
            return (
                f"contains {describe_char(char)} at character {index + 1} (text may hold line "
                "breaks and tabs, but no other control or direction-changing characters)"
            )
    return None


def hostname_problem(host: str) -> str | None:
    """A DNS name (internationalised names in their Unicode or ``xn--`` form) or an IP address."""
    if not host:
        return "has no host name (expected scheme://host/path)"
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return f"host {show(host)} is not an IPv6 address (expected e.g. [2001:db8::1])"
        return None
    if host.replace(".", "").isdigit():
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return f"host {show(host)} is not an IPv4 address (expected e.g. 192.0.2.1)"
        return None
    name = host[:-1] if host.endswith(".") else host
    if len(name) > MAX_HOSTNAME:
        return f"host name is {len(name):,} characters long (at most {MAX_HOSTNAME})"
    try:
        encoded = idna.encode(name, uts46=True)
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        return (
            f"host {show(host)} is not a valid host name: {exc} (expected letters, digits and "
            "hyphens in dot-separated labels of at most 63 characters, or an IP address)"
        )
    if len(encoded) > MAX_HOSTNAME:
        return f"host name is {len(encoded)} characters long in IDNA form (at most {MAX_HOSTNAME})"
    return None


def url_problem(
    value: str, *, schemes: Collection[str], allow_query: bool = False
) -> str | None:
    """An absolute URL of one of ``schemes`` naming a real host: no credentials, no fragment,
    a port in 1-65535, no whitespace or invisible characters."""
    if len(value) > MAX_URL:
        return f"URL is {len(value):,} characters long (at most {MAX_URL:,})"
    for index, char in enumerate(value):
        if char.isspace() or unicodedata.category(char)[0] in "CZ":
            return (
                f"URL contains {describe_char(char)} at character {index + 1} (no spaces, control "
                "or invisible characters; percent-encode them)"
            )
    expected = ", ".join(sorted(schemes))
    scheme, sep, rest = value.partition(":")
    if not sep or not rest.startswith("//"):
        return f"{show(value)} is not an absolute URL (expected scheme://host/path; schemes: {expected})"
    if scheme.lower() not in schemes:
        return f"URL scheme {show(scheme)} is not supported (expected one of: {expected})"
    try:
        parts = urlsplit(value)
    except ValueError:
        authority = rest[2:].split("/", 1)[0]
        if "[" in authority and "]" in authority:
            return (f"URL host {show(authority)} in brackets is not an IPv6 address "
                    "(expected e.g. [2001:db8::1])")  # fmt: skip
        return (f"URL host part of {show(value)} is malformed (an IPv6 address goes in "
                "brackets: [2001:db8::1])")  # fmt: skip
    netloc = parts.netloc
    if "@" in netloc:
        return (
            "URL contains a user name or password before '@' (credentials do not belong in a "
            "mirror URL; give scheme://host/path)"
        )
    host, port = _split_host_port(netloc)
    problem = hostname_problem(host)
    if problem is not None:
        return f"URL {problem}"
    if port is not None:
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            return f"URL port {show(port)} is out of range (expected 1-65535)"
    if parts.fragment or value.endswith("#"):
        return "URL has a fragment '#...' (expected none)"
    if not allow_query and (parts.query or "?" in value):
        return "URL has a query '?...' (expected none: a mirror URL names a directory)"
    if _PERCENT.search(value):
        return "URL has a '%' that does not start an escape like %20"
    return None


def _split_host_port(netloc: str) -> tuple[str, str | None]:
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            return netloc, None
        rest = netloc[end + 1:]
        return netloc[:end + 1], rest[1:] if rest.startswith(":") else None
    host, sep, port = netloc.rpartition(":")
    return (host, port) if sep else (netloc, None)


def int_problem(value: int, low: int, high: int) -> str | None:
    if not low <= value <= high:
        return f"{value} is out of range (expected {low:,} to {high:,})"
    return None
