"""Reading and writing the declarative deployment TOML (``mirrormanager import`` / ``export``).

Reading validates everything before anything is written: every problem is reported with its key
path (``site[0].host[1].netblocks[2]``) and the whole file is rejected.  See
``docs/import-export.md`` for the format.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from mmcore.deployment import (
    ArchSpec,
    CategorySpec,
    CountryContinentRedirectSpec,
    Deployment,
    HostCategorySpec,
    HostSpec,
    ProductSpec,
    RepositoryRedirectSpec,
    SiteSpec,
)
from mmcore.geo import CONTINENTS, is_country_code
from mmcore.toml_writer import dumps
from mmcore.passwords import hash_password, is_password_hash, verify_password

#: URL schemes a host category URL may use (the crawl protocols MirrorManager ships)
DEFAULT_URL_SCHEMES = frozenset({"http", "https", "ftp", "rsync"})


class DeploymentFileError(Exception):
    """The file is unusable; ``problems`` lists every ``key path: what is wrong``."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listing = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s), nothing was written:\n{listing}")


@attrs.frozen
class ParsedFile:
    """A validated file: the deployment, with each site's password still in clear text (the
    hash is chosen by :func:`resolve_passwords` so an unchanged password stays unchanged)."""

    deployment: Deployment
    plain_passwords: Mapping[str, str]


class _Checker:
    """Collects problems while walking the TOML document."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def table(
        self, data: Any, path: str, allowed: Mapping[str, Any], required: Iterable[str] = ()
    ) -> dict[str, Any] | None:
        """Check keys and value types of one table; return it or ``None`` when unusable."""
        if not isinstance(data, dict):
            self.problem(path, f"expected a table, got {_type_name(data)}")
            return None
        ok = True
        for key in required:
            if key not in data:
                self.problem(path, f"missing required key {key!r}")
                ok = False
        for key, value in data.items():
            if key not in allowed:
                self.problem(f"{path}.{key}", f"unknown key (allowed: {', '.join(allowed)})")
                ok = False
                continue
            expected = allowed[key]
            if expected is None:  # nested, checked by the caller
                continue
            if not _is_type(value, expected):
                self.problem(f"{path}.{key}", f"expected {_expected_name(expected)}, got {value!r}")
                ok = False
        return data if ok else None

    def array(self, data: Any, path: str) -> list[Any]:
        if data is None:
            return []
        if not isinstance(data, list):
            self.problem(path, f"expected an array of tables, got {_type_name(data)}")
            return []
        return data


def _type_name(value: Any) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _is_type(value: Any, expected: Any) -> bool:
    if expected == "strings":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if expected == "ints":
        return isinstance(value, list) and all(type(v) is int for v in value)
    if expected is int:
        return type(value) is int
    return isinstance(value, expected)


def _expected_name(expected: Any) -> str:
    return {
        "strings": "an array of strings",
        "ints": "an array of integers",
        str: "a string",
        int: "an integer",
        bool: "true or false",
    }[expected]


ARCH_KEYS = {"name": str, "primary": bool, "publiclist": bool}
PRODUCT_KEYS = {"name": str, "publiclist": bool}
CATEGORY_KEYS = {
    "name": str,
    "product": str,
    "topdir": str,
    "canonicalhost": str,
    "publiclist": bool,
    "admin_only": bool,
    "geo_dns_domain": str,
}
SITE_KEYS = {
    "name": str,
    "password": str,
    "password_hash": str,
    "org_url": str,
    "private": bool,
    "admin_active": bool,
    "user_active": bool,
    "all_sites_can_pull_from_me": bool,
    "downstream_comments": str,
    "email_on_drop": bool,
    "email_on_add": bool,
    "created_by": str,
    "admins": "strings",
    "host": None,
}
HOST_KEYS = {
    "name": str,
    "country": str,
    "bandwidth_int": int,
    "private": bool,
    "asn": int,
    "asn_clients": bool,
    "internet2": bool,
    "internet2_clients": bool,
    "max_connections": int,
    "admin_active": bool,
    "user_active": bool,
    "comment": str,
    "robot_email": str,
    "netblocks": "strings",
    "countries_allowed": "strings",
    "peer_asns": "ints",
    "category": None,
}
HOST_CATEGORY_KEYS = {
    "name": str,
    "always_up2date": bool,
    "urls": "strings",
    "private_urls": "strings",
}
REPOSITORY_REDIRECT_KEYS = {"from": str, "to": str}
CONTINENT_REDIRECT_KEYS = {"country": str, "continent": str}
TOP_KEYS = {
    "arch",
    "product",
    "category",
    "site",
    "repository_redirect",
    "country_continent_redirect",
}

_TOPDIR = re.compile(r"^[^/\s][^\s]*[^/\s]$|^[^/\s]$")


def parse_deployment(
    text: str,
    source: str,
    *,
    current: Deployment,
    url_schemes: frozenset[str] = DEFAULT_URL_SCHEMES,
) -> ParsedFile:
    """Parse and validate a deployment file against the database's current deployment.

    :param current: what the database holds now (categories a host may name, URLs owned by
        other hosts).
    :raises DeploymentFileError: listing every problem found.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DeploymentFileError(source, [f"invalid TOML: {exc}"]) from None
    check = _Checker()
    for key in document:
        if key not in TOP_KEYS:
            check.problem(key, f"unknown key (allowed: {', '.join(sorted(TOP_KEYS))})")

    arches = _parse_list(check, document, "arch", ARCH_KEYS, ("name",), _arch)
    products = _parse_list(check, document, "product", PRODUCT_KEYS, ("name",), _product)
    categories = _parse_list(
        check, document, "category", CATEGORY_KEYS, ("name", "product", "topdir"), _category
    )
    repo_redirects = _parse_list(
        check, document, "repository_redirect", REPOSITORY_REDIRECT_KEYS, ("from",), _repo_redirect
    )
    continent_redirects = _parse_list(
        check,
        document,
        "country_continent_redirect",
        CONTINENT_REDIRECT_KEYS,
        ("country", "continent"),
        _continent_redirect,
    )
    known_categories = {c.name for c in current.categories} | {c.name for c in categories}
    plain_passwords: dict[str, str] = {}
    sites = []
    for index, raw in enumerate(check.array(document.get("site"), "site")):
        site = _site(check, raw, f"site[{index}]", known_categories, url_schemes, plain_passwords)
        if site is not None:
            sites.append(site)

    _check_unique(check, "arch", [a.name for a in arches])
    _check_unique(check, "product", [p.name for p in products])
    _check_unique(check, "category", [c.name for c in categories])
    _check_unique(check, "site", [s.name for s in sites])
    _check_unique(check, "repository_redirect", [r.from_repo for r in repo_redirects])
    _check_unique(check, "country_continent_redirect", [r.country for r in continent_redirects])
    _check_urls_unique(check, sites, current)

    if check.problems:
        raise DeploymentFileError(source, check.problems)
    return ParsedFile(
        deployment=Deployment(
            arches=arches,
            products=products,
            categories=categories,
            sites=sites,
            repository_redirects=repo_redirects,
            country_continent_redirects=continent_redirects,
        ),
        plain_passwords=plain_passwords,
    )


def _parse_list(
    check: _Checker,
    document: Mapping[str, Any],
    key: str,
    allowed: Mapping[str, Any],
    required: tuple[str, ...],
    build: Callable[[_Checker, dict[str, Any], str], Any],
) -> list[Any]:
    items = []
    for index, raw in enumerate(check.array(document.get(key), key)):
        path = f"{key}[{index}]"
        data = check.table(raw, path, allowed, required)
        if data is not None:
            item = build(check, data, path)
            if item is not None:
                items.append(item)
    return items


def _arch(check: _Checker, data: dict[str, Any], path: str) -> ArchSpec | None:
    if not data["name"].strip():
        check.problem(f"{path}.name", "must not be empty")
        return None
    return ArchSpec(
        name=data["name"],
        primary_arch=data.get("primary", True),
        publiclist=data.get("publiclist", True),
    )


def _product(check: _Checker, data: dict[str, Any], path: str) -> ProductSpec | None:
    if not data["name"].strip():
        check.problem(f"{path}.name", "must not be empty")
        return None
    return ProductSpec(name=data["name"], publiclist=data.get("publiclist", True))


def _category(check: _Checker, data: dict[str, Any], path: str) -> CategorySpec | None:
    topdir = data["topdir"]
    if not _TOPDIR.match(topdir) or ".." in topdir.split("/") or "//" in topdir:
        check.problem(
            f"{path}.topdir",
            f"{topdir!r} must be a relative path like 'pub/fedora/linux' "
            "(no leading or trailing slash, no '..')",
        )
        return None
    canonical = data.get("canonicalhost", CategorySpec.__attrs_attrs__.canonicalhost.default)
    return CategorySpec(
        name=data["name"],
        product=data["product"],
        topdir=topdir,
        canonicalhost=canonical,
        publiclist=data.get("publiclist", True),
        admin_only=data.get("admin_only", False),
        geo_dns_domain=data.get("geo_dns_domain"),
    )


def _repo_redirect(
    check: _Checker, data: dict[str, Any], path: str
) -> RepositoryRedirectSpec | None:
    return RepositoryRedirectSpec(from_repo=data["from"], to_repo=data.get("to"))


def _continent_redirect(
    check: _Checker, data: dict[str, Any], path: str
) -> CountryContinentRedirectSpec | None:
    country = _country(check, data["country"], f"{path}.country")
    continent = data["continent"].upper()
    if continent not in CONTINENTS:
        check.problem(
            f"{path}.continent", f"unknown continent {data['continent']!r} (one of {CONTINENTS})"
        )
        return None
    if country is None:
        return None
    return CountryContinentRedirectSpec(country=country, continent=continent)


def _country(check: _Checker, value: str, path: str) -> str | None:
    code = value.strip().upper()
    if not is_country_code(code):
        check.problem(path, f"unknown country code {value!r} (ISO 3166-1 alpha-2, e.g. 'DE')")
        return None
    return code


def _netblock(check: _Checker, value: str, path: str) -> str | None:
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        check.problem(path, f"malformed netblock {value!r} (expected CIDR like '192.0.2.0/24')")
        return None


def _url(check: _Checker, value: str, path: str, schemes: frozenset[str]) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        check.problem(
            path,
            f"unsupported URL scheme in {value!r} (supported: {', '.join(sorted(schemes))})",
        )
        return None
    if not parts.hostname or any(ch.isspace() for ch in value) or parts.query or parts.fragment:
        check.problem(path, f"malformed URL {value!r} (expected scheme://host/path)")
        return None
    return value.rstrip("/")


def _site(
    check: _Checker,
    raw: Any,
    path: str,
    known_categories: set[str],
    schemes: frozenset[str],
    plain_passwords: dict[str, str],
) -> SiteSpec | None:
    data = check.table(raw, path, SITE_KEYS, ("name",))
    if data is None:
        return None
    if "password" in data and "password_hash" in data:
        check.problem(path, "give either 'password' or 'password_hash', not both")
    if "password_hash" in data and not is_password_hash(data["password_hash"]):
        check.problem(f"{path}.password_hash", "not a hash written by 'mirrormanager export'")
    if "password" in data:
        plain_passwords[data["name"]] = data["password"]
    hosts = []
    for index, raw_host in enumerate(check.array(data.get("host"), f"{path}.host")):
        host = _host(check, raw_host, f"{path}.host[{index}]", known_categories, schemes)
        if host is not None:
            hosts.append(host)
    _check_unique(check, f"{path}.host", [h.name for h in hosts])
    fields = {k: v for k, v in data.items() if k not in ("host", "password", "admins")}
    return SiteSpec(hosts=hosts, admins=data.get("admins", []), **fields)


def _host(
    check: _Checker, raw: Any, path: str, known_categories: set[str], schemes: frozenset[str]
) -> HostSpec | None:
    data = check.table(raw, path, HOST_KEYS, ("name", "country"))
    if data is None:
        return None
    before = len(check.problems)
    country = _country(check, data["country"], f"{path}.country")
    netblocks = [
        _netblock(check, value, f"{path}.netblocks[{i}]")
        for i, value in enumerate(data.get("netblocks", []))
    ]
    allowed = [
        _country(check, value, f"{path}.countries_allowed[{i}]")
        for i, value in enumerate(data.get("countries_allowed", []))
    ]
    for key, minimum in (("bandwidth_int", 0), ("max_connections", 1), ("asn", 1)):
        if key in data and data[key] < minimum:
            check.problem(f"{path}.{key}", f"must be at least {minimum}, got {data[key]}")
    for i, asn in enumerate(data.get("peer_asns", [])):
        if asn < 1:
            check.problem(f"{path}.peer_asns[{i}]", f"must be a positive AS number, got {asn}")
    categories = []
    for index, raw_hc in enumerate(check.array(data.get("category"), f"{path}.category")):
        hc_path = f"{path}.category[{index}]"
        hc = check.table(raw_hc, hc_path, HOST_CATEGORY_KEYS, ("name",))
        if hc is None:
            continue
        if hc["name"] not in known_categories:
            check.problem(
                f"{hc_path}.name",
                f"unknown category {hc['name']!r} (not in this file nor in the database)",
            )
            continue
        urls = [
            _url(check, u, f"{hc_path}.urls[{i}]", schemes) for i, u in enumerate(hc.get("urls", []))
        ]
        private = [
            _url(check, u, f"{hc_path}.private_urls[{i}]", schemes)
            for i, u in enumerate(hc.get("private_urls", []))
        ]
        categories.append(
            HostCategorySpec(
                name=hc["name"],
                always_up2date=hc.get("always_up2date", False),
                urls=[u for u in urls if u],
                private_urls=[u for u in private if u],
            )
        )
    _check_unique(check, f"{path}.category", [c.name for c in categories])
    if len(check.problems) > before or country is None:
        return None
    scalars = {
        k: v
        for k, v in data.items()
        if k not in ("category", "netblocks", "countries_allowed", "country", "peer_asns")
    }
    return HostSpec(
        country=country,
        netblocks=[n for n in netblocks if n],
        countries_allowed=[c for c in allowed if c],
        peer_asns=data.get("peer_asns", []),
        categories=categories,
        **scalars,
    )


def _check_unique(check: _Checker, path: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            check.problem(path, f"{name!r} appears more than once")
        seen.add(name)


def _host_urls(site: SiteSpec) -> Iterable[tuple[str, str]]:
    for host in site.hosts:
        for hc in host.categories:
            for url in (*hc.urls, *hc.private_urls):
                yield url, f"site {site.name!r} host {host.name!r} category {hc.name!r}"


def _check_urls_unique(check: _Checker, sites: list[SiteSpec], current: Deployment) -> None:
    """Host category URLs are globally unique in MirrorManager's schema."""
    owner: dict[str, str] = {}
    for site in sites:
        for url, where in _host_urls(site):
            if url in owner:
                check.problem(where, f"URL {url!r} is also used by {owner[url]}")
            owner[url] = where
    named_hosts = {(s.name, h.name) for s in sites for h in s.hosts}
    for site in current.sites:
        for host in site.hosts:
            if (site.name, host.name) in named_hosts:
                continue  # its URLs are being replaced by this file
            for hc in host.categories:
                for url in (*hc.urls, *hc.private_urls):
                    if url in owner:
                        check.problem(
                            owner[url],
                            f"URL {url!r} already belongs to site {site.name!r} "
                            f"host {host.name!r} in the database",
                        )


def resolve_passwords(parsed: ParsedFile, current: Deployment) -> Deployment:
    """Hash clear-text passwords, keeping the stored hash when the password did not change
    (so importing the same file twice changes nothing)."""
    stored = {site.name: site.password_hash for site in current.sites}
    sites = []
    for site in parsed.deployment.sites:
        plain = parsed.plain_passwords.get(site.name)
        if plain is not None:
            old = stored.get(site.name)
            new_hash = old if old and verify_password(plain, old) else hash_password(plain)
            site = attrs.evolve(site, password_hash=new_hash)
        sites.append(site)
    return attrs.evolve(parsed.deployment, sites=sites)


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------


def _fields(
    obj: Any, skip: tuple[str, ...] = (), rename: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Every field, defaults included, so an export says exactly what the database holds."""
    rename = rename or {}
    return {
        rename.get(field.name, field.name): getattr(obj, field.name)
        for field in attrs.fields(type(obj))
        if field.name not in skip
    }


def render_deployment(deployment: Deployment) -> str:
    """The deployment as TOML that :func:`parse_deployment` reads back unchanged."""
    document = {
        "arch": [_fields(a, rename={"primary_arch": "primary"}) for a in deployment.arches],
        "product": [_fields(p) for p in deployment.products],
        "category": [_fields(c) for c in deployment.categories],
        "repository_redirect": [
            _fields(r, rename={"from_repo": "from", "to_repo": "to"})
            for r in deployment.repository_redirects
        ],
        "country_continent_redirect": [_fields(r) for r in deployment.country_continent_redirects],
        "site": [
            {
                **_fields(site, skip=("hosts",)),
                "host": [
                    {
                        **_fields(host, skip=("categories",)),
                        "category": [_fields(hc) for hc in host.categories],
                    }
                    for host in site.hosts
                ],
            }
            for site in deployment.sites
        ],
    }
    return dumps(document, comment="MirrorManager deployment, written by 'mirrormanager export'")
