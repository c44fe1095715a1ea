"""Checks that configuration classes run on every value as it is read.

Each is an attrs validator (``attrs.field(validator=...)``); a failure raises ``ValueError`` with a
message the configuration loader prefixes with the file and key path::

    concurrency: int = attrs.field(default=50, validator=at_least(1))
    listen: str = attrs.field(default="127.0.0.1:3000", validator=listen_address)
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import attrs

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


class InvalidSetting(ValueError):
    """A value failed its check; ``key`` is the attribute, ``reason`` what is wrong."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


def checked(check: Callable[[Any], None]) -> Validator:
    """An attrs validator from ``check(value)``, which raises ``ValueError`` saying what is
    wrong; the error names the attribute (the loader adds the file and table)."""

    def validator(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        try:
            check(value)
        except InvalidSetting:
            raise
        except ValueError as exc:
            raise InvalidSetting(attribute.name, str(exc)) from None

    return validator


def at_least(minimum: float) -> Validator:
    """The value is a number ``>= minimum`` (and not NaN)."""

    def check(value: Any) -> None:
        if isinstance(value, float) and math.isnan(value):
            raise ValueError("must be a number, not NaN")
        if value < minimum:
            raise ValueError(f"must be at least {minimum:g}, got {value!r}")

    return checked(check)


def _positive(value: Any) -> None:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise ValueError(f"must be a finite number, got {value!r}")
    if value <= 0:
        raise ValueError(f"must be greater than 0, got {value!r}")


#: the value is a finite number ``> 0`` (a duration, a size)
positive: Validator = checked(_positive)


def between(low: float, high: float) -> Validator:
    """``low <= value <= high``."""

    def check(value: Any) -> None:
        if not low <= value <= high:
            raise ValueError(f"must be between {low:g} and {high:g}, got {value!r}")

    return checked(check)


def one_of(*choices: str) -> Validator:
    def check(value: Any) -> None:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(map(repr, choices))}, got {value!r}")

    return checked(check)


def parse_listen(text: str, default_port: int | None = None) -> tuple[str, int]:
    """``HOST:PORT``, ``[IPV6]:PORT`` (or, with ``default_port``, ``HOST`` / ``[IPV6]``) ->
    ``(host, port)``; ``host`` is an IP address or a DNS name, ``port`` 0-65535 (0: any free
    port).

    :raises ValueError: with a message saying which part is wrong.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected one HOST:PORT string, got {type(text).__name__} {text!r}")
    text = text.strip()
    if not text:
        raise ValueError("empty address (expected HOST:PORT)")
    port_text: str | None
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket:
            raise ValueError(f"{text!r}: missing ']' after the IPv6 address")
        if rest and not rest.startswith(":"):
            raise ValueError(f"{text!r}: expected ':PORT' after ']'")
        port_text = rest[1:] if rest else None
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{text!r}: {host!r} is not an IPv6 address") from None
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    elif ":" in text:
        raise ValueError(f"{text!r}: write an IPv6 address in brackets, e.g. [::1]:3000")
    else:
        host, port_text = text, None
    if port_text is None:
        if default_port is None:
            raise ValueError(f"{text!r}: no port (expected HOST:PORT)")
        port = default_port
    else:
        if not port_text.isdigit():
            raise ValueError(f"{text!r}: the port {port_text!r} is not a number")
        port = int(port_text)
        if port > 65535:
            raise ValueError(f"{text!r}: the port {port} is above 65535")
    if not host:
        raise ValueError(f"{text!r}: no host (use 0.0.0.0 or [::] for every address)")
    if not _is_ip(host) and not _HOSTNAME.fullmatch(host):
        raise ValueError(f"{text!r}: {host!r} is neither an IP address nor a host name")
    return host, port


_HOSTNAME = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


#: ``HOST:PORT`` or ``[IPV6]:PORT``
listen_address: Validator = checked(parse_listen)


def listen_list(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """An attrs converter for a ``listen`` key that takes one address or a list of them
    (TOML ``listen = "[::]:3000"`` or ``listen = ["127.0.0.1:3000", "[::1]:3000"]``); the
    :data:`listen_addresses` validator checks the result."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return value  # the validator says what is wrong


def _listen_addresses(value: Any) -> None:
    if not isinstance(value, tuple):
        raise ValueError(f"expected HOST:PORT or a list of them, got {type(value).__name__}")
    if not value:
        raise ValueError("no address (expected HOST:PORT or a list of them)")
    seen: set[tuple[str, int]] = set()
    for item in value:
        host, port = parse_listen(item)
        if (host, port) in seen and port != 0:
            raise ValueError(f"{item!r} is listed twice")
        seen.add((host, port))


#: one or more ``HOST:PORT`` / ``[IPV6]:PORT`` (with :func:`listen_list` as converter)
listen_addresses: Validator = checked(_listen_addresses)


def list_to_tuple(value: Any) -> Any:
    """An attrs converter: a list (from TOML) becomes a tuple (frozen settings); anything
    else is left for the validator to name."""
    return tuple(value) if isinstance(value, list) else value


def _networks(value: Any) -> None:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"expected a list of addresses or networks, got {type(value).__name__}")
    for item in value:
        if not isinstance(item, str):
            raise ValueError(f"expected an address or network (a string), got {item!r}")
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or network (a.b.c.d/n, x::/n)") from None


#: a list of IP addresses or CIDR networks (IPv4 and IPv6)
ip_networks: Validator = checked(_networks)


def url_with_scheme(*schemes: str) -> Validator:
    """A URL of one of ``schemes`` with a host (empty string allowed: "not set")."""

    def check(value: str) -> None:
        if not value:
            return
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  (raises ValueError for a bad port)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a valid URL: {exc}") from None
        if parts.scheme not in schemes:
            raise ValueError(
                f"{value!r}: the scheme must be {' or '.join(schemes)}, got {parts.scheme!r}"
            )
        if not parts.hostname:
            raise ValueError(f"{value!r}: no host name")

    return checked(check)


_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _database_url(value: str) -> None:
    if not _URL_SCHEME.match(value):
        raise ValueError(
            f"{value!r} is not a database URL (expected e.g. sqlite:///mirrormanager.db or "
            "postgresql+psycopg://user@host/db)"
        )


#: looks like a database URL (``scheme:...``); the storage backend checks the rest
database_url: Validator = checked(_database_url)
