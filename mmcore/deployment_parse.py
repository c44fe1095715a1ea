"""Turning a deployment file into a :class:`~mmcore.deployment_file.ParsedFile`.

The whole document is walked whatever goes wrong: an unknown key or a bad value is reported and
the walk goes on into the tables below it, so one run lists every problem of a file.  Then the
checks across entries: names unique in their list, host categories naming a known category, no
name that only looks like another one (in the file or in the database), no site name that the
database holds twice (the import could not tell which site is meant).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mmcore.confusables import first_difference, skeleton
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
from mmcore.deployment_file import ParsedFile, load_toml, located_error
from mmcore.deployment_rules import (
    ARCH_KEYS,
    CATEGORY_KEYS,
    CONTINENT_REDIRECT_KEYS,
    DEFAULT_URL_SCHEMES,
    HOST_CATEGORY_KEYS,
    HOST_KEYS,
    PRODUCT_KEYS,
    REPOSITORY_REDIRECT_KEYS,
    SITE_KEYS,
    TOP_KEYS,
    Checker,
    Rule,
)
from mmcore.field_rules import show
from mmcore.toml_locator import KeyPath, format_key_path

Named = list[tuple[str, KeyPath]]  # (name, path of its "name" key)


def parse_deployment(
    text: str,
    source: str,
    *,
    current: Deployment,
    url_schemes: frozenset[str] = DEFAULT_URL_SCHEMES,
) -> ParsedFile:
    """Parse and validate a deployment file against the database's current deployment.

    :param current: what the database holds now (categories a host may name, names a new one
        must not look like).
    :param url_schemes: the schemes host category URLs may use (the installed crawl protocols).
    :raises DeploymentFileError: listing every problem found, with its line.
    """
    document, layout = load_toml(text, source)
    walk = _Walk(Checker(url_schemes), document, current)
    deployment = walk.document(document)
    walk.cross_checks(current)
    if walk.checker.problems:
        raise located_error(source, layout, walk.checker.problems)
    return ParsedFile(
        source=source,
        deployment=deployment,
        plain_passwords=walk.plain_passwords,
        given=walk.given,
        paths=walk.paths,
        layout=layout,
    )


class _Walk:
    def __init__(self, checker: Checker, document: Mapping[str, Any], current: Deployment) -> None:
        self.checker = checker
        self.plain_passwords: dict[str, str] = {}
        self.given: dict[str, frozenset[str]] = {}
        self.paths: dict[tuple[str, ...], KeyPath] = {}
        self.names: dict[str, Named] = {kind: [] for kind in
                                        ("arch", "product", "category", "site", "host")}
        self.redirects: dict[str, Named] = {"repository_redirect": [],
                                            "country_continent_redirect": []}
        # every category name the file spells, valid entry or not (to not report its hosts too)
        raw_categories = document.get("category")
        self.known_categories = {c.name for c in current.categories} | {
            c["name"] for c in (raw_categories if isinstance(raw_categories, list) else [])
            if isinstance(c, dict) and isinstance(c.get("name"), str)
        }

    def document(self, document: Mapping[str, Any]) -> Deployment:
        for key in document:
            if key not in TOP_KEYS:
                self.checker.problem((key,), f"unknown key (expected one of: {', '.join(TOP_KEYS)})")
        return Deployment(
            arches=self.entries(document, "arch", ARCH_KEYS, self.arch),
            products=self.entries(document, "product", PRODUCT_KEYS, self.product),
            categories=self.entries(document, "category", CATEGORY_KEYS, self.category),
            sites=self.entries(document, "site", SITE_KEYS, self.site),
            repository_redirects=self.entries(
                document, "repository_redirect", REPOSITORY_REDIRECT_KEYS, self.repo_redirect),
            country_continent_redirects=self.entries(
                document, "country_continent_redirect", CONTINENT_REDIRECT_KEYS,
                self.continent_redirect),
        )  # fmt: skip

    def entries(
        self,
        document: Mapping[str, Any],
        key: str,
        rules: Mapping[str, Rule | None],
        build: Callable[[dict[str, Any], KeyPath, bool], Any],
    ) -> list[Any]:
        items = []
        for index, raw in enumerate(self.checker.tables(document.get(key), (key,))):
            path: KeyPath = (key, index)
            values, ok = self.checker.table(raw, path, rules, _REQUIRED[key])
            item = build(values, path, ok and all(k in values for k in _REQUIRED[key]))
            if item is not None:
                items.append(item)
        return items

    def remember(self, kind: str, values: Mapping[str, Any], path: KeyPath) -> None:
        if "name" in values:
            self.names[kind].append((values["name"], path + ("name",)))

    # -- builders: each is given the values that passed, and whether all did -------------------

    def arch(self, values: dict[str, Any], path: KeyPath, ok: bool) -> ArchSpec | None:
        self.remember("arch", values, path)
        if not ok:
            return None
        return ArchSpec(values["name"], values.get("primary", True), values.get("publiclist", True))

    def product(self, values: dict[str, Any], path: KeyPath, ok: bool) -> ProductSpec | None:
        self.remember("product", values, path)
        return ProductSpec(values["name"], values.get("publiclist", True)) if ok else None

    def category(self, values: dict[str, Any], path: KeyPath, ok: bool) -> CategorySpec | None:
        self.remember("category", values, path)
        if not ok:
            return None
        fields = {k: v for k, v in values.items() if k != "name"}
        return CategorySpec(name=values["name"], **fields)

    def repo_redirect(
        self, values: dict[str, Any], path: KeyPath, ok: bool
    ) -> RepositoryRedirectSpec | None:
        if "from" in values:
            self.redirects["repository_redirect"].append((values["from"], path + ("from",)))
        return RepositoryRedirectSpec(values["from"], values.get("to")) if ok else None

    def continent_redirect(
        self, values: dict[str, Any], path: KeyPath, ok: bool
    ) -> CountryContinentRedirectSpec | None:
        if "country" in values:
            self.redirects["country_continent_redirect"].append(
                (values["country"], path + ("country",)))
        return CountryContinentRedirectSpec(values["country"], values["continent"]) if ok else None

    def site(self, values: dict[str, Any], path: KeyPath, ok: bool) -> SiteSpec | None:
        self.remember("site", values, path)
        if "password" in values and "password_hash" in values:
            self.checker.problem(path, "has both 'password' and 'password_hash' (give one)")
            ok = False
        name = values.get("name", "")
        hosts = [
            self.host(raw, path + ("host", index), name)
            for index, raw in enumerate(self.checker.tables(values.get("host"), path + ("host",)))
        ]
        self.unique("host", [(h.name, path + ("host", i, "name"))
                             for i, h in enumerate(hosts) if h is not None])  # fmt: skip
        if not ok or None in hosts:
            return None
        self.paths[("site", name)] = path
        if "password" in values:
            self.plain_passwords[name] = values["password"]
        self.given[name] = frozenset(
            field for field, keys in (("password_hash", ("password", "password_hash")),
                                      ("created_by", ("created_by",)))
            if any(k in values for k in keys)
        )  # fmt: skip
        fields = {k: v for k, v in values.items() if k not in ("host", "password", "name")}
        return SiteSpec(name=name, hosts=hosts, **fields)

    def host(self, raw: Any, path: KeyPath, site: str) -> HostSpec | None:
        values, ok = self.checker.table(raw, path, HOST_KEYS, _REQUIRED["host"])
        self.remember("host", values, path)
        categories = [
            self.host_category(raw_hc, path + ("category", index), site, values.get("name"))
            for index, raw_hc in enumerate(
                self.checker.tables(values.get("category"), path + ("category",)))
        ]  # fmt: skip
        self.unique("category of this host", [(c.name, path + ("category", i, "name"))
                                              for i, c in enumerate(categories) if c is not None])
        if not ok or None in categories or not all(k in values for k in _REQUIRED["host"]):
            return None
        name = values["name"]
        self.paths[("host", site, name)] = path
        for index, code in enumerate(values.get("countries_allowed", ())):
            self.paths.setdefault(("country_allowed", site, name, code),
                                  path + ("countries_allowed", index))  # fmt: skip
        fields = {k: v for k, v in values.items() if k not in ("category", "name")}
        return HostSpec(name=name, categories=categories, **fields)

    def host_category(
        self, raw: Any, path: KeyPath, site: str, host: str | None
    ) -> HostCategorySpec | None:
        values, ok = self.checker.table(raw, path, HOST_CATEGORY_KEYS, ("name",))
        name = values.get("name")
        if name is not None and name not in self.known_categories:
            self.checker.problem(path + ("name",), f"unknown category {show(name)} "
                                 "(not defined in this file nor in the database)")  # fmt: skip
            ok = False
        if not ok or name is None:
            return None
        for key in ("urls", "private_urls"):
            for index, url in enumerate(values.get(key, ())):
                self.paths.setdefault(("url", site, str(host), name, key, url), path + (key, index))
        return HostCategorySpec(name=name, **{k: v for k, v in values.items() if k != "name"})

    # -- checks across entries ----------------------------------------------------------------------

    def unique(self, label: str, entries: Named) -> None:
        first: dict[str, KeyPath] = {}
        for name, path in entries:
            if name in first:
                self.checker.problem(path, f"{label} {show(name)} appears more than once "
                                           f"(first at {format_key_path(first[name])})")  # fmt: skip
            else:
                first[name] = path

    def cross_checks(self, current: Deployment) -> None:
        for kind in ("arch", "product", "category", "site"):
            self.unique(kind, self.names[kind])
        for kind, entries in self.redirects.items():
            self.unique(kind.replace("_", " "), entries)
        existing = {
            "arch": [a.name for a in current.arches],
            "product": [p.name for p in current.products] + [c.product for c in current.categories],
            "category": [c.name for c in current.categories],
            "site": [s.name for s in current.sites],
            "host": [h.name for s in current.sites for h in s.hosts],
        }
        for kind, names in existing.items():
            _check_confusable(self.checker, kind, self.names[kind], names)
        counts = Counter(existing["site"])
        for name, path in self.names["site"]:
            if counts[name] > 1:
                self.checker.problem(path, (
                    f"{counts[name]} sites in the database are named {show(name)}, so the import "
                    "cannot tell which one this is (rename all but one in the web UI first)"))


def _check_confusable(checker: Checker, kind: str, entries: Named, existing: Iterable[str]) -> None:
    """Names that differ from another name yet share its :func:`skeleton`."""
    exact = set(existing)
    seen: dict[str, tuple[str, str]] = {}
    for name in exact:
        seen.setdefault(skeleton(name), (name, "in the database"))
    for name, path in entries:
        key = skeleton(name)
        other = seen.setdefault(key, (name, f"at {format_key_path(path)}"))
        if other[0] != name and name not in exact:
            checker.problem(path, (
                f"{show(name)} looks like the {kind} {show(other[0])} {other[1]} "
                f"({first_difference(name, other[0])} differs; use exactly that name, or one that "
                "is visibly different)"))


_REQUIRED: dict[str, tuple[str, ...]] = {
    "arch": ("name",),
    "product": ("name",),
    "category": ("name", "product", "topdir"),
    "site": ("name",),
    "host": ("name", "country"),
    "repository_redirect": ("from",),
    "country_continent_redirect": ("country", "continent"),
}
