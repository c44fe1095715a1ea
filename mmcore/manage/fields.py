"""Parsing one submitted value: a form's text (``"on"``, ``"42"``) or a JSON value.

Every parser returns the value to store or raises :class:`InvalidInput` naming the field and
what was expected.  They are the one place these formats are checked (the web UI and the JSON
API share them).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from mmcore.geo import CONTINENTS, is_country_code
from mmcore.manage.errors import InvalidInput

#: what a form sends for a checked checkbox (and JSON's true)
_TRUE = frozenset({"on", "true", "1", "yes", "y", "t"})
_FALSE = frozenset({"", "off", "false", "0", "no", "n", "f"})
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)"
                       r"(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")


def text(value: Any, field: str, *, max_length: int, required: bool = False) -> str | None:
    """Stripped text, ``None`` when empty and not required."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field}: expected text", field=field)
    value = value.strip()
    if len(value) > max_length:
        raise InvalidInput(f"{field}: at most {max_length} characters", field=field)
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in value):
        raise InvalidInput(f"{field}: control characters are not allowed", field=field)
    if not value:
        if required:
            raise InvalidInput(f"{field}: required", field=field)
        return None
    return value


def boolean(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE:
        return False
    raise InvalidInput(f"{field}: expected a yes/no value", field=field)


def integer(value: Any, field: str, *, minimum: int | None = None, maximum: int | None = None,
            required: bool = False) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{field}: required", field=field)
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"{field}: expected a whole number", field=field)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value.strip()):
        number = int(value.strip())
    else:
        raise InvalidInput(f"{field}: expected a whole number", field=field)
    if minimum is not None and number < minimum:
        raise InvalidInput(f"{field}: at least {minimum}", field=field)
    if maximum is not None and number > maximum:
        raise InvalidInput(f"{field}: at most {maximum}", field=field)
    return number


def country(value: Any, field: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper case."""
    code = (text(value, field, max_length=2, required=True) or "").upper()
    if not is_country_code(code):
        raise InvalidInput(f"{field}: unknown country code {code!r} (ISO 3166 two letters, e.g. DE)",
                           field=field)
    return code


def continent(value: Any, field: str) -> str:
    code = (text(value, field, max_length=2, required=True) or "").upper()
    if code not in CONTINENTS:
        raise InvalidInput(f"{field}: expected one of {', '.join(CONTINENTS)}", field=field)
    return code


def network(value: Any, field: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR block (host bits allowed and cleared, as MirrorManager2 does)."""
    raw = text(value, field, max_length=64, required=True) or ""
    try:
        return ipaddress.ip_network(raw, strict=False)
    except ValueError:
        raise InvalidInput(f"{field}: malformed netblock {raw!r} (expected CIDR like 192.0.2.0/24)",
                           field=field) from None


def url(value: Any, field: str, *, schemes: frozenset[str], max_length: int = 1024) -> str:
    """An absolute URL with one of ``schemes``, without query or fragment; trailing ``/`` cut."""
    raw = text(value, field, max_length=max_length, required=True) or ""
    parts = urlsplit(raw)
    if parts.scheme.lower() not in schemes:
        raise InvalidInput(
            f"{field}: unsupported URL scheme in {raw!r} (supported: {', '.join(sorted(schemes))})",
            field=field,
        )
    if (not parts.hostname or not _HOSTNAME.match(parts.hostname.strip("[]")) and
            not _is_address(parts.hostname)) or any(ch.isspace() for ch in raw) \
            or parts.query or parts.fragment:
        raise InvalidInput(f"{field}: malformed URL {raw!r} (expected scheme://host/path)",
                           field=field)
    try:
        parts.port  # noqa: B018 -- raises on a malformed port
    except ValueError:
        raise InvalidInput(f"{field}: malformed port in {raw!r}", field=field) from None
    return raw.rstrip("/")


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def hostname(value: Any, field: str) -> str:
    name = text(value, field, max_length=253, required=True) or ""
    if not (_HOSTNAME.match(name) or _is_address(name)):
        raise InvalidInput(f"{field}: not a host name or address: {name!r}", field=field)
    return name


def email(value: Any, field: str, *, required: bool = False) -> str | None:
    address = text(value, field, max_length=255, required=required)
    if address is not None and not _EMAIL.match(address):
        raise InvalidInput(f"{field}: not an e-mail address", field=field)
    return address


def username(value: Any, field: str, *, max_length: int = 255) -> str:
    name = text(value, field, max_length=max_length, required=True) or ""
    if not _USERNAME.match(name):
        raise InvalidInput(
            f"{field}: letters, digits, '.', '_' and '-' only, starting with a letter or digit",
            field=field,
        )
    return name
