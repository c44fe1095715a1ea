"""The deployment format's rules: which keys each table takes and the rule each value follows
(type, range, characters, URL parts), with the :class:`Checker` that collects what breaks them.

A rule reports its problem and returns ``BAD``, or returns the value to keep (normalised: country
codes upper case, netblocks in canonical form, URLs without a trailing ``/``).
:mod:`mmcore.deployment_parse` walks a document with them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mmcore.confusables import mixed_script_problem
from mmcore.deployment_file import Problem
from mmcore.field_rules import (
    MAX_ASN,
    MAX_URL,
    hostname_problem,
    int_problem,
    name_problem,
    show,
    text_problem,
    url_problem,
)
from mmcore.geo import CONTINENTS, is_country_code
from mmcore.passwords import is_password_hash
from mmcore.toml_locator import KeyPath

#: URL schemes a host category URL may use (the crawl protocols MirrorManager ships)
DEFAULT_URL_SCHEMES = frozenset({"http", "https", "ftp", "rsync"})
WEB_SCHEMES = frozenset({"http", "https"})
#: the most entries of any one list (sites, a site's hosts, a host's netblocks, ...)
MAX_ITEMS = 10_000
MAX_BANDWIDTH = 10_000_000  # Mbit/s: 10 Tbit/s
MAX_CONNECTIONS = 1_000
MAX_SECRET = 1_024

BAD = object()  # a value that failed its rule (already reported)
Rule = Callable[["Checker", Any, KeyPath], Any]


class Checker:
    """Collects problems while walking the document."""

    def __init__(self, url_schemes: frozenset[str]) -> None:
        self.problems: list[Problem] = []
        self.url_schemes = url_schemes

    def problem(self, path: KeyPath, message: str) -> None:
        self.problems.append(Problem(path, message))

    def table(
        self, data: Any, path: KeyPath, rules: Mapping[str, Rule | None], required: Iterable[str]
    ) -> tuple[dict[str, Any], bool]:
        """The keys of one table that pass their rule, and whether all of them did (nested
        arrays, whose rule is ``None``, are passed through for the caller to walk)."""
        if not isinstance(data, dict):
            self.problem(path, f"is {_kind(data)} (expected a table)")
            return {}, False
        values: dict[str, Any] = {}
        ok = True
        for key in required:
            if key not in data:
                self.problem(path, f"missing required key {key!r} (add {key} = ...)")
                ok = False
        for key, raw in data.items():
            if key not in rules:
                self.problem(path + (key,), f"unknown key (expected one of: {', '.join(rules)})")
                ok = False
                continue
            rule = rules[key]
            value = raw if rule is None else rule(self, raw, path + (key,))
            if value is BAD:
                ok = False
            else:
                values[key] = value
        return values, ok

    def tables(self, data: Any, path: KeyPath) -> list[Any]:
        """An array of tables (a missing one is empty)."""
        if data is None:
            return []
        if not isinstance(data, list):
            self.problem(path, f"is {_kind(data)} (expected an array of tables: [[{path[-1]}]])")
            return []
        if len(data) > MAX_ITEMS:
            self.problem(path, f"has {len(data):,} entries (at most {MAX_ITEMS:,})")
            return []
        return data


def _kind(value: Any) -> str:
    names = {dict: "a table", list: "an array", str: "a string", bool: "a boolean",
             int: "an integer", float: "a float"}  # fmt: skip
    return f"{names.get(type(value), type(value).__name__)} {show(value, 40)}"


# -- rules: each returns the value to keep (normalised) or BAD after reporting -------------------


def _typed(expected: type, label: str, check: Callable[[Any], str | None] | None = None) -> Rule:
    def rule(checker: Checker, value: Any, path: KeyPath) -> Any:
        if type(value) is not expected:  # bool is not an int here
            checker.problem(path, f"is {_kind(value)} (expected {label})")
            return BAD
        problem = check(value) if check else None
        if problem:
            checker.problem(path, problem)
            return BAD
        return value

    return rule


def _name_check(value: str) -> str | None:
    return name_problem(value) or mixed_script_problem(value)


FLAG = _typed(bool, "true or false")
NAME = _typed(str, "a string", _name_check)
TEXT = _typed(str, "a string", text_problem)
SECRET = _typed(str, "a string", lambda v: text_problem(v, max_length=MAX_SECRET) or (
    "must not be empty (expected a password)" if not v else None))


def _int(low: int, high: int) -> Rule:
    return _typed(int, "an integer", lambda v: int_problem(v, low, high))


def _mapped(base: Rule, convert: Callable[[Checker, Any, KeyPath], Any]) -> Rule:
    """``base``, then ``convert`` on a value that passed it."""
    def rule(checker: Checker, value: Any, path: KeyPath) -> Any:
        value = base(checker, value, path)
        return value if value is BAD else convert(checker, value, path)

    return rule


def _each(item: Rule) -> Rule:
    """An array of values each following ``item``."""
    def rule(checker: Checker, value: Any, path: KeyPath) -> Any:
        if not isinstance(value, list):
            checker.problem(path, f"is {_kind(value)} (expected an array)")
            return BAD
        if len(value) > MAX_ITEMS:
            checker.problem(path, f"has {len(value):,} entries (at most {MAX_ITEMS:,})")
            return BAD
        items = [item(checker, v, path + (i,)) for i, v in enumerate(value)]
        return BAD if any(v is BAD for v in items) else items

    return rule


def _country(checker: Checker, value: str, path: KeyPath) -> Any:
    code = value.strip().upper()
    if not is_country_code(code):
        checker.problem(path, f"unknown country code {show(value)} (ISO 3166-1 alpha-2, e.g. 'DE')")
        return BAD
    return code


def _continent(checker: Checker, value: str, path: KeyPath) -> Any:
    if value.upper() not in CONTINENTS:
        checker.problem(path, f"unknown continent {show(value)} (one of {', '.join(CONTINENTS)})")
        return BAD
    return value.upper()


def _netblock(checker: Checker, value: str, path: KeyPath) -> Any:
    try:
        if len(value) > 64:
            raise ValueError(value)
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        checker.problem(path, f"malformed netblock {show(value)} (expected CIDR like '192.0.2.0/24')")
        return BAD


def _mirror_url(checker: Checker, value: str, path: KeyPath) -> Any:
    problem = url_problem(value, schemes=checker.url_schemes)
    if problem:
        checker.problem(path, problem)
        return BAD
    return value.rstrip("/")


def _web_url(allow_query: bool) -> Callable[[Checker, str, KeyPath], Any]:
    def convert(checker: Checker, value: str, path: KeyPath) -> Any:
        problem = url_problem(value, schemes=WEB_SCHEMES, allow_query=allow_query)
        if problem:
            checker.problem(path, problem)
            return BAD
        return value

    return convert


def _topdir(checker: Checker, value: str, path: KeyPath) -> Any:
    parts = value.split("/")
    if not value or value.startswith("/") or value.endswith("/") or "" in parts or ".." in parts:
        checker.problem(path, f"{show(value)} must be a relative path like 'pub/fedora/linux' "
                              "(no leading or trailing slash, no '..' or '//')")  # fmt: skip
        return BAD
    problem = name_problem(value, max_length=MAX_URL)
    if problem or any(c.isspace() for c in value):
        checker.problem(path, problem or "contains a space (directory names here have none)")
        return BAD
    return value


def _password_hash(checker: Checker, value: str, path: KeyPath) -> Any:
    if len(value) > MAX_SECRET or not is_password_hash(value):
        checker.problem(path, "not a hash written by 'mirrormanager export' (scrypt$...)")
        return BAD
    return value


def _email(checker: Checker, value: str, path: KeyPath) -> Any:
    local, at, domain = value.rpartition("@")
    if not at or not local or name_problem(local) or " " in local or hostname_problem(domain):
        checker.problem(path, f"{show(value)} is not an e-mail address (expected user@example.org)")
        return BAD
    return value


def _dns_name(checker: Checker, value: str, path: KeyPath) -> Any:
    problem = hostname_problem(value)
    if problem:
        checker.problem(path, problem)
        return BAD
    return value


STRING = _typed(str, "a string")
ARCH_KEYS: dict[str, Rule | None] = {"name": NAME, "primary": FLAG, "publiclist": FLAG}
PRODUCT_KEYS: dict[str, Rule | None] = {"name": NAME, "publiclist": FLAG}
CATEGORY_KEYS: dict[str, Rule | None] = {
    "name": NAME,
    "product": NAME,
    "topdir": _mapped(STRING, _topdir),
    "canonicalhost": _mapped(STRING, _web_url(allow_query=False)),
    "publiclist": FLAG,
    "admin_only": FLAG,
    "geo_dns_domain": _mapped(STRING, _dns_name),
}
SITE_KEYS: dict[str, Rule | None] = {
    "name": NAME,
    "password": SECRET,
    "password_hash": _mapped(STRING, _password_hash),
    "org_url": _mapped(STRING, _web_url(allow_query=True)),
    "private": FLAG,
    "admin_active": FLAG,
    "user_active": FLAG,
    "all_sites_can_pull_from_me": FLAG,
    "downstream_comments": TEXT,
    "email_on_drop": FLAG,
    "email_on_add": FLAG,
    "created_by": NAME,
    "admins": _each(NAME),
    "host": None,
}
HOST_KEYS: dict[str, Rule | None] = {
    "name": NAME,
    "country": _mapped(STRING, _country),
    "bandwidth_int": _int(1, MAX_BANDWIDTH),
    "private": FLAG,
    "asn": _int(1, MAX_ASN),
    "asn_clients": FLAG,
    "internet2": FLAG,
    "internet2_clients": FLAG,
    "max_connections": _int(1, MAX_CONNECTIONS),
    "admin_active": FLAG,
    "user_active": FLAG,
    "comment": TEXT,
    "robot_email": _mapped(STRING, _email),
    "netblocks": _each(_mapped(STRING, _netblock)),
    "countries_allowed": _each(_mapped(STRING, _country)),
    "peer_asns": _each(_int(1, MAX_ASN)),
    "category": None,
}
HOST_CATEGORY_KEYS: dict[str, Rule | None] = {
    "name": NAME,
    "always_up2date": FLAG,
    "urls": _each(_mapped(STRING, _mirror_url)),
    "private_urls": _each(_mapped(STRING, _mirror_url)),
}
REPOSITORY_REDIRECT_KEYS: dict[str, Rule | None] = {"from": NAME, "to": NAME}
CONTINENT_REDIRECT_KEYS: dict[str, Rule | None] = {
    "country": _mapped(STRING, _country),
    "continent": _mapped(STRING, _continent),
}
TOP_KEYS = ("arch", "product", "category", "site", "repository_redirect",
            "country_continent_redirect")  # fmt: skip
