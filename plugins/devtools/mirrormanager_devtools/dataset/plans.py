"""The plan of a deployment (:class:`Plan`): the master tree, sites, hosts and which categories
each host carries, planned up front (small: one entry per site, host or host category) so every
table can be generated from it lazily."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import attrs

from mirrormanager_devtools.dataset.layouts import build_tree
from mirrormanager_devtools.dataset.reference import (
    ARCH_NAMES,
    CATEGORIES,
    CONTINENT_REDIRECTS,
    COUNTRIES,
    EMBARGOED,
    PRODUCTS,
    CountryInfo,
)
from mirrormanager_devtools.dataset.scales import Scale
from mirrormanager_devtools.dataset.tree import ARCH_BIT, F_DEBUG, F_MEDIA, F_SOURCE, F_TESTING
from mirrormanager_devtools.dataset.values import word

#: one row of a table, in the order of its columns
Row = tuple[Any, ...]

_ORG_FORMS = ("University of {W}", "{W} University", "{W} Institute of Technology",
              "{W} Networks", "{W} Hosting", "{W} Internet", "{W} Mirror Project", "{W}Net",
              "{W} Datacenter", "{W} Open Source Lab", "{W} Telecom", "{W} Linux User Group")
_PUBLIC_HOST_NAMES = ("mirror", "mirrors", "ftp", "fedora", "dl", "mirror2", "repo", "linux")
_PRIVATE_HOST_NAMES = ("mirror-int", "repo", "fedora-cache", "pkgs", "yum", "internal-mirror")


@attrs.frozen
class HostPlan:
    id: int
    site_id: int
    name: str
    private: bool
    country: CountryInfo
    asn: int | None
    #: URL schemes the host publishes (public hosts), ``()`` for private hosts without URLs
    schemes: tuple[str, ...]
    url_base: str


@attrs.frozen
class HostCategoryPlan:
    id: int
    host: HostPlan
    category: int
    #: feature bits of the directories this host leaves out
    excluded: int
    #: "fresh" | "lagging" | "stale"
    state: str


@attrs.frozen
class SitePlan:
    id: int
    name: str
    slug: str
    tld: str
    country: CountryInfo
    asn: int
    private: bool


def weighted_countries(rng: random.Random, k: int) -> list[CountryInfo]:
    return rng.choices(COUNTRIES, weights=[c.weight for c in COUNTRIES], k=k)


def plan_sites(scale: Scale, seed: int) -> list[SitePlan]:
    rng = random.Random(f"{seed}:site")
    sites: list[SitePlan] = []
    slugs: set[tuple[str, str]] = set()
    countries = weighted_countries(rng, scale.sites)
    for i, country in enumerate(countries, start=1):
        while True:
            name = word(rng)
            form = rng.choice(_ORG_FORMS)
            slug = name.lower() + ("" if rng.random() < 0.7 else rng.choice(("net", "lab", "hub")))
            tld = rng.choice(country.tlds)
            if (slug, tld) not in slugs:
                slugs.add((slug, tld))
                break
        asn = rng.choice((rng.randint(1_000, 64_000), rng.randint(131_072, 400_000)))
        sites.append(SitePlan(i, form.format(W=name), slug, tld, country, asn, False))
    return sites


def plan_hosts(scale: Scale, seed: int, sites: list[SitePlan]) -> list[HostPlan]:
    rng = random.Random(f"{seed}:host")
    total = scale.public_hosts + scale.private_hosts
    # every site gets one host; the rest go to sites picked at random (big sites grow bigger)
    owners = [s.id for s in sites] + [rng.choice(sites).id for _ in range(total - len(sites))]
    owners.sort()
    private_ids = set(rng.sample(range(total), scale.private_hosts))
    hosts: list[HostPlan] = []
    used: dict[int, set[str]] = {}
    for index, site_id in enumerate(owners):
        site = sites[site_id - 1]
        private = index in private_ids
        names = _PRIVATE_HOST_NAMES if private else _PUBLIC_HOST_NAMES
        taken = used.setdefault(site_id, set())
        stem = next((n for n in rng.sample(names, len(names)) if n not in taken), None)
        if stem is None:
            stem = f"mirror{len(taken) + 1}"
        taken.add(stem)
        name = f"{stem}.{site.slug}.{site.tld}"
        if private:
            schemes: tuple[str, ...] = rng.choice(((), (), ("https",), ("http",), ("https", "rsync")))
        else:
            picked = [s for s, p in (("http", 0.7), ("https", 0.72), ("rsync", 0.3),
                                     ("ftp", 0.05)) if rng.random() < p]
            if "http" not in picked and "https" not in picked:
                picked.insert(0, "https")
            schemes = tuple(picked)
        url_base = rng.choice(("pub/", "", "mirrors/", "fedora-enchilada/", "linux/"))
        country = site.country if rng.random() < 0.95 else weighted_countries(rng, 1)[0]
        asn = site.asn if rng.random() < 0.85 else None
        hosts.append(HostPlan(index + 1, site_id, name, private, country, asn, schemes, url_base))
    return hosts


def plan_host_categories(scale: Scale, seed: int, hosts: list[HostPlan]) -> list[HostCategoryPlan]:
    rng = random.Random(f"{seed}:host_category")
    public = [h for h in hosts if not h.private]
    private = [h for h in hosts if h.private]
    chosen: dict[int, list[int]] = {h.id: [] for h in hosts}
    index = {c.name: i for i, c in enumerate(CATEGORIES)}
    for name, public_share, private_share in scale.carriers:
        cat = index[name]
        count_public = max(1, round(public_share * len(public)))
        count_private = round(private_share * len(private))
        for h in rng.sample(public, count_public) + rng.sample(private, count_private):
            chosen[h.id].append(cat)
    plans: list[HostCategoryPlan] = []
    optional_arches = [ARCH_BIT[a] for a in ("aarch64", "i386", "ppc64le", "s390x", "armhfp",
                                              "ppc64", "ppc")]
    for h in hosts:
        for cat in sorted(chosen[h.id]):
            excluded = 0
            if CATEGORIES[cat].name != "Fedora Archive":
                for bit, p in ((F_DEBUG, 0.35), (F_SOURCE, 0.25), (F_MEDIA, 0.10),
                               (F_TESTING, 0.08)):
                    if rng.random() < p:
                        excluded |= bit
                for bit in optional_arches:
                    if rng.random() < 0.08:
                        excluded |= bit
            roll = rng.random()
            state = "fresh" if roll < 0.85 else ("lagging" if roll < 0.97 else "stale")
            plans.append(HostCategoryPlan(len(plans) + 1, h, cat, excluded, state))
    return plans


class Plan:
    """Everything the tables of ``(scale, seed)`` are generated from, planned up front: the
    tree, sites, hosts, host categories, ids, and a compact index of the directories of each
    category (id, path, feature bits) -- never the rows themselves."""

    def __init__(self, scale: Scale, seed: int) -> None:
        self.scale = scale
        self.seed = seed
        self.tree = build_tree(scale)
        self.sites = plan_sites(scale, seed)
        self.hosts = plan_hosts(scale, seed, self.sites)
        self.host_categories = plan_host_categories(scale, seed, self.hosts)
        self.arch_ids = {name: i for i, name in enumerate(ARCH_NAMES, start=1)}
        self.product_ids = {name: i for i, name in enumerate(PRODUCTS, start=1)}
        self.version_ids = {key: i for i, key in enumerate(self.tree.versions, start=1)}
        self.country_codes = sorted({c.code for c in COUNTRIES} | {c for c, _ in CONTINENT_REDIRECTS}
                                    | set(EMBARGOED))
        self.country_ids = {code: i for i, code in enumerate(self.country_codes, start=1)}
        # per category: [(dir id, path relative to topdir, feature bits)] and a count per bits
        self.category_dirs: list[list[tuple[int, str, int]]] = [[] for _ in CATEGORIES]
        for i, (cat, rel, mask) in enumerate(zip(self.tree.categories, self.tree.relpaths,
                                                 self.tree.masks, strict=True)):
            self.category_dirs[cat].append((i + 1, rel, mask))
        for dirs in self.category_dirs:
            dirs.sort(key=lambda d: d[1])
        self.mask_counts = [Counter(m for _, _, m in dirs) for dirs in self.category_dirs]

    def rng(self, table: str) -> random.Random:
        """The generator of one table: seeded with the seed and the table's name."""
        return random.Random(f"{self.seed}:{table}")

    def hcd_count(self, hc: HostCategoryPlan) -> int:
        """How many host_category_dir rows ``hc`` gets (without generating them)."""
        return self.hcd_count_for(hc.category, hc.excluded)

    def hcd_count_for(self, category: int, excluded: int) -> int:
        return sum(n for m, n in self.mask_counts[category].items() if not m & excluded)
