"""Synthetic deployments: ``mirrormanager dataset --scale small|fedora [--seed N]``.

Fills an empty, upgraded database with a realistic MirrorManager deployment for tests and
benchmarks.  ``fedora`` is the scale of ``spec/README.md`` (about 700 hosts on 600 sites, 1,700
URLs, 10 categories, 100k directories laid out like Fedora's tree, 5k repositories, 20k file
details, 10k netblocks, 5M host category directories); ``small`` has the same shape at roughly
a hundredth of it and loads in well under a second.

The content is a pure function of ``(scale, seed)``: every table draws from its own
``random.Random`` seeded with the seed and the table's name, ids are assigned explicitly, and
time stamps count back from a fixed moment (:data:`EPOCH`), never from the clock.

Rows are produced lazily, table by table in foreign-key order, and streamed into the store's
:meth:`mmcore.store.BulkStore.bulk_load`; only the small tables and a compact index of the
directory tree (id, path, feature bits) are held in memory, never the 5M host category
directories.
"""

from __future__ import annotations

import argparse
import datetime
import io
import itertools
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

import attrs

from mmcore.commands import CommandError
from mmcore.runtime import Runtime
from mmcore.model import encode_file_list
from mmcore.progress import Progress
from mmcore.store import Store, StoreError

log = logging.getLogger(__name__)

#: "now" for every generated time stamp (2025-06-01 00:00 UTC), so output never depends on the clock
EPOCH = 1_748_736_000
EPOCH_DT = datetime.datetime(2025, 6, 1, 0, 0, 0)

Row = tuple[Any, ...]


# ============================================================================================
# scales
# ============================================================================================


@attrs.frozen(kw_only=True)
class Scale:
    """How big a synthetic deployment is.  Fractions are of public (resp. private) hosts."""

    name: str
    sites: int
    public_hosts: int
    private_hosts: int
    #: Fedora releases on the primary tree (the newest ones), the branched one and rawhide
    fedora_releases: tuple[int, ...]
    fedora_branched: int | None
    #: end-of-life Fedora releases kept under the archive
    archive_fedora: tuple[int, ...]
    epel_releases: tuple[str, ...]
    archive_epel: tuple[str, ...]
    #: Fedora Core releases (flat trees) under the archive
    archive_core: tuple[int, ...]
    #: Fedora releases with a Cisco openh264 repository
    codecs_releases: tuple[int, ...]
    rpmfusion_fedora: tuple[int, ...]
    rpmfusion_el: tuple[str, ...]
    #: sub-directories of ``Packages/`` (Fedora splits packages by first letter since F17)
    package_letters: tuple[str, ...]
    #: release editions published as ISO or image directories
    editions: tuple[str, ...]
    netblocks: int
    #: ``(category name, fraction of public hosts, fraction of private hosts)`` carrying it
    carriers: tuple[tuple[str, float, float], ...]


_CARRIERS = (
    ("Fedora Linux", 0.95, 0.85),
    ("Fedora EPEL", 0.65, 0.45),
    ("Fedora Secondary Arches", 0.08, 0.02),
    ("Fedora Archive", 0.05, 0.0),
    ("Fedora Other", 0.16, 0.02),
    ("Fedora Codecs", 0.03, 0.01),
    ("RPMFUSION free Fedora", 0.05, 0.02),
    ("RPMFUSION nonfree Fedora", 0.04, 0.01),
    ("RPMFUSION free EL", 0.03, 0.01),
    ("RPMFUSION nonfree EL", 0.03, 0.01),
)

#: ``Packages/`` sub-directories, most populated first (a small repository only has the first few)
_ALL_LETTERS = tuple("plgrtmcksdhfbnaexoiuvwjzqy3204698715")

SCALES: dict[str, Scale] = {
    "small": Scale(
        name="small",
        sites=10,
        public_hosts=7,
        private_hosts=5,
        fedora_releases=(42,),
        fedora_branched=None,
        archive_fedora=(30,),
        epel_releases=("9",),
        archive_epel=(),
        archive_core=(6,),
        codecs_releases=(42,),
        rpmfusion_fedora=(42,),
        rpmfusion_el=("9",),
        package_letters=("a", "p"),
        editions=("Workstation",),
        netblocks=100,
        carriers=_CARRIERS,
    ),
    "fedora": Scale(
        name="fedora",
        sites=600,
        public_hosts=400,
        private_hosts=300,
        fedora_releases=(40, 41, 42),
        fedora_branched=43,
        archive_fedora=tuple(range(7, 40)),
        epel_releases=("8", "9", "10.0", "10.1"),
        archive_epel=("4", "5", "6", "7"),
        archive_core=(1, 2, 3, 4, 5, 6),
        codecs_releases=tuple(range(24, 43)),
        rpmfusion_fedora=tuple(range(20, 43)),
        rpmfusion_el=("5", "6", "7", "8", "9", "10"),
        package_letters=_ALL_LETTERS,
        editions=("Workstation", "Spins", "Labs", "Kinoite", "Silverblue", "KDE"),
        netblocks=10_000,
        carriers=_CARRIERS,
    ),
}


# ============================================================================================
# reference data
# ============================================================================================


@attrs.frozen
class CountryInfo:
    code: str
    weight: float
    continent: str
    latitude: float
    longitude: float
    tlds: tuple[str, ...]


def _c(code: str, weight: float, continent: str, lat: float, lon: float,
       *tlds: str) -> CountryInfo:
    return CountryInfo(code, weight, continent, lat, lon, tlds or (code.lower(),))


#: where mirrors are, roughly weighted like Fedora's public mirror list
COUNTRIES: tuple[CountryInfo, ...] = (
    _c("US", 22, "NA", 39.8, -98.6, "edu", "com", "org", "net"),
    _c("DE", 11, "EU", 51.2, 10.4, "de"), _c("FR", 4, "EU", 46.6, 2.2),
    _c("CN", 5, "AS", 35.9, 104.2, "edu.cn", "cn", "com"), _c("JP", 4, "AS", 36.2, 138.3, "ac.jp", "jp"),
    _c("BR", 3, "SA", -14.2, -51.9, "br", "com.br"), _c("GB", 4, "EU", 54.0, -2.0, "ac.uk", "co.uk"),
    _c("NL", 3, "EU", 52.1, 5.3), _c("CZ", 3, "EU", 49.8, 15.5), _c("RU", 2.5, "EU", 55.8, 37.6),
    _c("SE", 2, "EU", 60.1, 18.6), _c("CA", 3, "NA", 56.1, -106.3), _c("AU", 2, "OC", -25.3, 133.8, "edu.au", "com.au"),
    _c("IN", 2, "AS", 20.6, 79.0), _c("KR", 1.5, "AS", 35.9, 127.8, "ac.kr", "kr"),
    _c("TW", 2, "AS", 23.7, 121.0, "edu.tw", "tw"), _c("IT", 2, "EU", 41.9, 12.6),
    _c("ES", 2, "EU", 40.5, -3.7), _c("CH", 2, "EU", 46.8, 8.2), _c("AT", 1.5, "EU", 47.5, 14.6),
    _c("PL", 2, "EU", 51.9, 19.1), _c("FI", 1, "EU", 61.9, 25.7), _c("DK", 1, "EU", 56.3, 9.5),
    _c("NO", 1, "EU", 60.5, 8.5), _c("ZA", 1, "AF", -30.6, 22.9, "ac.za", "co.za"),
    _c("SG", 1, "AS", 1.35, 103.8), _c("HK", 1, "AS", 22.3, 114.2),
    _c("ID", 1.5, "AS", -0.8, 113.9, "ac.id", "id"), _c("TH", 1, "AS", 15.9, 100.9),
    _c("VN", 1, "AS", 14.1, 108.3), _c("AR", 0.7, "SA", -38.4, -63.6), _c("CL", 0.7, "SA", -35.7, -71.5),
    _c("CO", 0.5, "SA", 4.6, -74.3), _c("MX", 0.7, "NA", 23.6, -102.6), _c("NZ", 0.7, "OC", -40.9, 174.9),
    _c("IL", 0.5, "AS", 31.0, 34.9), _c("TR", 0.7, "AS", 39.0, 35.2), _c("GR", 0.7, "EU", 39.1, 21.8),
    _c("PT", 0.7, "EU", 39.4, -8.2), _c("RO", 1, "EU", 45.9, 25.0), _c("HU", 0.7, "EU", 47.2, 19.5),
    _c("UA", 1, "EU", 48.4, 31.2), _c("BG", 0.7, "EU", 42.7, 25.5), _c("KZ", 0.5, "AS", 48.0, 66.9),
    _c("BD", 0.5, "AS", 23.7, 90.4), _c("EC", 0.4, "SA", -1.8, -78.2), _c("KE", 0.4, "AF", -0.0, 37.9),
    _c("BY", 0.3, "EU", 53.7, 28.0), _c("LT", 0.5, "EU", 55.2, 23.9), _c("LV", 0.4, "EU", 56.9, 24.6),
    _c("EE", 0.3, "EU", 58.6, 25.0), _c("SK", 0.5, "EU", 48.7, 19.7), _c("SI", 0.3, "EU", 46.2, 15.0),
    _c("HR", 0.3, "EU", 45.1, 15.2), _c("RS", 0.3, "EU", 44.0, 21.0), _c("IE", 0.5, "EU", 53.4, -8.2),
    _c("BE", 0.7, "EU", 50.5, 4.5), _c("LU", 0.3, "EU", 49.8, 6.1), _c("IS", 0.2, "EU", 64.9, -19.0),
    _c("AM", 0.2, "AS", 40.1, 45.0), _c("GE", 0.2, "AS", 42.3, 43.4), _c("JO", 0.1, "AS", 30.6, 36.2),
    _c("EG", 0.3, "AF", 26.8, 30.8), _c("MA", 0.2, "AF", 31.8, -7.1), _c("NG", 0.2, "AF", 9.1, 8.7),
    _c("PH", 0.4, "AS", 12.9, 121.8), _c("MY", 0.5, "AS", 4.2, 101.9), _c("PK", 0.3, "AS", 30.4, 69.3),
    _c("NP", 0.2, "AS", 28.4, 84.1), _c("AE", 0.3, "AS", 23.4, 53.8), _c("SA", 0.2, "AS", 23.9, 45.1),
    _c("CR", 0.2, "NA", 9.7, -83.8), _c("UY", 0.2, "SA", -32.5, -55.8), _c("PE", 0.3, "SA", -9.2, -75.0),
)

#: continent overrides (MirrorManager2's test data sends IL, AM and JO to Europe)
CONTINENT_REDIRECTS = (("IL", "EU"), ("AM", "EU"), ("JO", "EU"), ("GE", "EU"), ("CY", "EU"),
                       ("AZ", "EU"), ("TR", "EU"))
EMBARGOED = ("CU", "IR", "KP", "SY")

#: ``(name, publiclist, primary_arch)``
ARCHES: tuple[tuple[str, bool, bool], ...] = (
    ("source", False, False), ("x86_64", True, True), ("aarch64", True, True),
    ("i386", True, True), ("ppc64le", True, False), ("s390x", True, False),
    ("ppc64", True, False), ("ppc", True, False), ("armhfp", True, False),
    ("riscv64", False, False), ("s390", False, False), ("arm", False, False),
)
_ARCH_NAMES = tuple(a[0] for a in ARCHES)

LOCATIONS = ("Fedora Infrastructure", "AWS us-east-1", "AWS us-west-2", "AWS eu-central-1",
             "AWS eu-west-1", "AWS ap-southeast-1", "AWS ap-northeast-1", "Internet2")


# ============================================================================================
# the master tree: directories, categories, versions, repositories
# ============================================================================================

# directory kinds: what its (short) file list looks like
PLAIN, TREE, PACKAGES, FLAT_PACKAGES, REPODATA, ISO, IMAGES, PXEBOOT = range(8)

# feature bits of a directory, for which sub-trees a mirror leaves out and what goes stale
F_DEBUG, F_SOURCE, F_MEDIA, F_TESTING, F_VOLATILE = 1, 2, 4, 8, 16
_ARCH_BIT = {name: 32 << i for i, name in enumerate(_ARCH_NAMES)}
_COMPONENT_BITS: dict[str, int] = {
    "debug": F_DEBUG, "source": F_SOURCE, "SRPMS": F_SOURCE, "testing": F_TESTING | F_VOLATILE,
    "updates": F_VOLATILE, "development": F_VOLATILE, "rawhide": F_VOLATILE,
    **{name: bit for name, bit in _ARCH_BIT.items() if name != "source"},
}


@attrs.frozen
class CategorySpec:
    name: str
    product: str
    topdir: str
    #: path of the category below a mirror's base URL
    url_path: str


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("Fedora Linux", "Fedora", "pub/fedora/linux", "fedora/linux"),
    CategorySpec("Fedora EPEL", "EPEL", "pub/epel", "epel"),
    CategorySpec("Fedora Secondary Arches", "Fedora", "pub/fedora-secondary", "fedora-secondary"),
    CategorySpec("Fedora Archive", "Fedora", "pub/archive", "archive"),
    CategorySpec("Fedora Other", "Fedora", "pub/alt", "alt"),
    CategorySpec("Fedora Codecs", "Fedora", "pub/fedora-cisco-openh264", "openh264"),
    CategorySpec("RPMFUSION free Fedora", "RPMFUSION", "rpmfusion/free/fedora", "rpmfusion/free/fedora"),
    CategorySpec("RPMFUSION nonfree Fedora", "RPMFUSION", "rpmfusion/nonfree/fedora",
                 "rpmfusion/nonfree/fedora"),
    CategorySpec("RPMFUSION free EL", "RPMFUSION", "rpmfusion/free/el", "rpmfusion/free/el"),
    CategorySpec("RPMFUSION nonfree EL", "RPMFUSION", "rpmfusion/nonfree/el", "rpmfusion/nonfree/el"),
)
PRODUCTS = ("Fedora", "EPEL", "RPMFUSION")


@attrs.frozen
class DirContext:
    """What a directory's file names are made of (shared by many directories)."""

    arch: str
    dist: str
    version: str
    label: str = ""


@attrs.frozen
class RepoPlan:
    prefix: str
    category: int
    version: tuple[str, str]
    arch: str
    directory_id: int
    repodata_id: int
    volatile: bool


@attrs.frozen
class VersionPlan:
    product: str
    name: str
    is_test: bool
    display: bool
    display_name: str
    sortorder: int


class Tree:
    """The planned master tree.  Directory ids are list positions + 1, parents before children."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.kinds: list[int] = []
        self.contexts: list[DirContext | None] = []
        self.categories: list[int] = []
        self.masks: list[int] = []
        self.relpaths: list[str] = []
        self._ids: dict[str, int] = {}
        self.repos: list[RepoPlan] = []
        self._repo_keys: set[tuple[str, str]] = set()
        self.versions: dict[tuple[str, str], VersionPlan] = {}
        self.topdirs: list[int] = [0] * len(CATEGORIES)

    # -- directories ------------------------------------------------------------------------

    def add(self, cat: int, rel: str, kind: int = PLAIN, ctx: DirContext | None = None) -> int:
        """The id of ``rel`` (relative to the category's top directory), created with its
        parents if missing."""
        name = f"{CATEGORIES[cat].topdir}/{rel}" if rel else CATEGORIES[cat].topdir
        existing = self._ids.get(name)
        if existing is not None:
            return existing
        if rel:
            parent = rel.rpartition("/")[0]
            self.add(cat, parent)
        mask = 0
        for component in rel.split("/"):
            mask |= _COMPONENT_BITS.get(component, 0)
        if kind in (ISO, IMAGES, PXEBOOT):
            mask |= F_MEDIA
        self.names.append(name)
        self.kinds.append(kind)
        self.contexts.append(ctx)
        self.categories.append(cat)
        self.masks.append(mask)
        self.relpaths.append(rel)
        dir_id = len(self.names)
        self._ids[name] = dir_id
        if not rel:
            self.topdirs[cat] = dir_id
        return dir_id

    def packages(self, cat: int, rel: str, ctx: DirContext, letters: tuple[str, ...] | None,
                 *, os_extras: bool = False) -> tuple[int, int]:
        """A yum tree at ``rel``: Packages (by letter or flat), repodata, optional boot files.
        Returns ``(tree id, repodata id)``."""
        base = self.add(cat, rel, TREE if rel.endswith(("/os", "/tree")) else PLAIN, ctx)
        if letters:
            letters = letters[: _letters_in(CATEGORIES[cat], rel)]
            self.add(cat, f"{rel}/Packages", PLAIN, ctx)
            for letter in letters:
                self.add(cat, f"{rel}/Packages/{letter}", PACKAGES, ctx)
        else:
            self.add(cat, f"{rel}/Packages", FLAT_PACKAGES, ctx)
        repodata = self.add(cat, f"{rel}/repodata", REPODATA, ctx)
        if os_extras:
            self.add(cat, f"{rel}/images", IMAGES, ctx)
            self.add(cat, f"{rel}/images/pxeboot", PXEBOOT, ctx)
            self.add(cat, f"{rel}/EFI/BOOT", PLAIN, ctx)
        return base, repodata

    def repo(self, cat: int, rel: str, prefix: str, version: tuple[str, str], arch: str,
             ctx: DirContext, letters: tuple[str, ...] | None, *, os_extras: bool = False) -> None:
        """A yum tree that is a repository (MirrorManager2: the parent of ``repodata``)."""
        base, repodata = self.packages(cat, rel, ctx, letters, os_extras=os_extras)
        key = (prefix, arch)
        if key in self._repo_keys:  # unique (prefix, arch): the first directory wins
            return
        self._repo_keys.add(key)
        volatile = bool(self.masks[base - 1] & F_VOLATILE)
        self.repos.append(RepoPlan(prefix, cat, version, arch, base, repodata, volatile))

    def media(self, cat: int, rel: str, kind: int, ctx: DirContext) -> None:
        self.add(cat, rel, kind, ctx)

    # -- versions ---------------------------------------------------------------------------

    def version(self, product: str, name: str, *, display: bool = True,
                is_test: bool = False) -> tuple[str, str]:
        key = (product, name)
        if key not in self.versions:
            numeric = name.replace(".", "", 1).isdigit()
            sortorder = int(float(name) * 10) if numeric else 10_000
            label = {"Fedora": "Fedora", "EPEL": "EPEL", "RPMFUSION": "RPM Fusion"}[product]
            self.versions[key] = VersionPlan(
                product, name, is_test, display, f"{label} {name}", sortorder
            )
        return key


def _letters_in(category: CategorySpec, rel: str) -> int:
    """How many ``Packages/<letter>`` directories a tree has: big trees all 36, small
    repositories (modular, tainted, testing, RPM Fusion) only their most common letters."""
    components = set(rel.split("/"))
    if "Modular" in components or "tainted" in components:
        return 6
    if category.product == "RPMFUSION":
        return 12 if "nonfree" in category.name else 22
    if "testing" in components or "next" in components:
        return 22
    if "fedora-secondary" in components or "debug" in components:
        return 26
    return 36


def _fedora_arches_archive(v: int) -> tuple[str, ...]:
    if v <= 11:
        return ("i386", "x86_64", "ppc")
    if v <= 25:
        return ("i386", "x86_64")
    if v <= 30:
        return ("i386", "x86_64", "armhfp", "aarch64")
    if v <= 36:
        return ("x86_64", "armhfp", "aarch64")
    return ("x86_64", "aarch64")


def _secondary_arches_archive(v: int) -> tuple[str, ...]:
    if v < 12:
        return ()
    if v <= 20:
        return ("ppc", "ppc64", "s390", "s390x", "arm")
    if v <= 26:
        return ("ppc64", "ppc64le", "s390x", "aarch64")
    return ("ppc64le", "s390x")


def _fedora_release(t: Tree, cat: int, root: str, v: int, arches: tuple[str, ...],
                    letters: tuple[str, ...], editions: tuple[str, ...], *,
                    branched: bool = False) -> None:
    """``releases/V`` (or ``development/V``) of a Fedora-shaped tree, modern layout."""
    ver = t.version("Fedora", str(v), is_test=branched)
    dist = f"fc{v}"
    base = f"{root}{'development' if branched else 'releases'}/{v}"
    lettered = letters if v >= 17 else None
    for arch in arches:
        ctx = DirContext(arch, dist, str(v))
        t.repo(cat, f"{base}/Everything/{arch}/os", f"fedora-{v}", ver, arch, ctx, lettered,
               os_extras=True)
        t.repo(cat, f"{base}/Everything/{arch}/debug/tree", f"fedora-debug-{v}", ver, arch, ctx,
               lettered)
        if v <= 20:
            t.repo(cat, f"{base}/Fedora/{arch}/os", f"fedora-install-{v}", ver, arch, ctx, lettered,
                   os_extras=True)
            t.media(cat, f"{base}/Fedora/{arch}/iso", ISO, attrs.evolve(ctx, label="DVD"))
            t.media(cat, f"{base}/Live/{arch}", ISO, attrs.evolve(ctx, label="Live"))
            continue
        if branched:
            continue
        # Server has repodata but MirrorManager2 never makes repositories of Server trees
        t.packages(cat, f"{base}/Server/{arch}/os", ctx, lettered, os_extras=True)
        t.media(cat, f"{base}/Server/{arch}/iso", ISO, attrs.evolve(ctx, label="Server"))
        t.media(cat, f"{base}/Server/{arch}/images", IMAGES, attrs.evolve(ctx, label="Server"))
        t.media(cat, f"{base}/Everything/{arch}/iso", ISO, attrs.evolve(ctx, label="Everything"))
        t.media(cat, f"{base}/Cloud/{arch}/images", IMAGES, attrs.evolve(ctx, label="Cloud-Base"))
        t.media(cat, f"{base}/Container/{arch}/images", IMAGES,
                attrs.evolve(ctx, label="Container-Base"))
        for edition in editions:
            t.media(cat, f"{base}/{edition}/{arch}/iso", ISO, attrs.evolve(ctx, label=edition))
    source_ctx = DirContext("src", dist, str(v))
    if v <= 20:
        t.repo(cat, f"{base}/Everything/source/SRPMS", f"fedora-source-{v}", ver, "source",
               source_ctx, lettered)
    else:
        t.repo(cat, f"{base}/Everything/source/tree", f"fedora-source-{v}", ver, "source",
               source_ctx, lettered)


def _fedora_modular(t: Tree, cat: int, root: str, v: int, arches: tuple[str, ...],
                    letters: tuple[str, ...]) -> None:
    """The Modular trees Fedora 28 to 38 shipped next to Everything."""
    ver = t.version("Fedora", str(v))
    dist = f"fc{v}"
    trees = ((f"releases/{v}/Modular", "/os", "fedora-modular-{v}", "fedora-modular-debug-{v}",
              "fedora-modular-source-{v}"),
             (f"updates/{v}/Modular", "", "updates-released-modular-f{v}",
              "updates-released-modular-debug-f{v}", "updates-released-modular-source-f{v}"),
             (f"updates/testing/{v}/Modular", "", "updates-testing-modular-f{v}",
              "updates-testing-modular-debug-f{v}", "updates-testing-modular-source-f{v}"))
    for base, os_dir, main, debug, source in trees:
        for arch in arches:
            ctx = DirContext(arch, dist, str(v))
            t.repo(cat, f"{root}{base}/{arch}{os_dir}", main.format(v=v), ver, arch, ctx, letters)
            t.repo(cat, f"{root}{base}/{arch}/debug/tree", debug.format(v=v), ver, arch, ctx,
                   letters)
        t.repo(cat, f"{root}{base}/source/tree", source.format(v=v), ver, "source",
               DirContext("src", dist, str(v)), letters)


def _fedora_updates(t: Tree, cat: int, root: str, v: int, arches: tuple[str, ...],
                    letters: tuple[str, ...]) -> None:
    """``updates/V`` and ``updates/testing/V``; the flat pre-F28 layout for old releases."""
    ver = t.version("Fedora", str(v))
    dist = f"fc{v}"
    lettered = letters if v >= 17 else None
    for kind, stem in (("updates", "updates-released"), ("updates/testing", "updates-testing")):
        everything = "/Everything" if v >= 28 else ""
        base = f"{root}{kind}/{v}{everything}"
        for arch in arches:
            ctx = DirContext(arch, dist, str(v))
            t.repo(cat, f"{base}/{arch}", f"{stem}-f{v}", ver, arch, ctx, lettered)
            t.repo(cat, f"{base}/{arch}/debug", f"{stem}-debug-f{v}", ver, arch, ctx, lettered)
        source = f"{base}/source/tree" if v >= 28 else f"{base}/SRPMS"
        t.repo(cat, source, f"{stem}-source-f{v}", ver, "source", DirContext("src", dist, str(v)),
               lettered)


def _fedora_rawhide(t: Tree, cat: int, root: str, arches: tuple[str, ...],
                    letters: tuple[str, ...]) -> None:
    ver = t.version("Fedora", "rawhide")
    for arch in arches:
        ctx = DirContext(arch, "fc44", "rawhide")
        t.repo(cat, f"{root}development/rawhide/Everything/{arch}/os", "rawhide", ver, arch, ctx,
               letters, os_extras=True)
        t.repo(cat, f"{root}development/rawhide/Everything/{arch}/debug/tree", "rawhide-debug",
               ver, arch, ctx, letters)
    t.repo(cat, f"{root}development/rawhide/Everything/source/tree", "rawhide-source", ver,
           "source", DirContext("src", "fc44", "rawhide"), letters)


def _fedora_shaped(t: Tree, cat: int, scale: Scale, arches: tuple[str, ...]) -> None:
    """The primary or secondary Fedora tree: current releases, branched, updates, rawhide."""
    for v in scale.fedora_releases:
        _fedora_release(t, cat, "", v, arches, scale.package_letters, scale.editions)
        _fedora_updates(t, cat, "", v, arches, scale.package_letters)
    if scale.fedora_branched is not None:
        b = scale.fedora_branched
        _fedora_release(t, cat, "", b, arches, scale.package_letters, (), branched=True)
        _fedora_updates(t, cat, "", b, arches, scale.package_letters)
    _fedora_rawhide(t, cat, "", arches, scale.package_letters)


def _epel_release(t: Tree, cat: int, root: str, v: str, letters: tuple[str, ...],
                  *, old_layout: bool) -> None:
    ver = t.version("EPEL", v)
    dist = f"el{v}"
    arches = ("i386", "x86_64", "ppc64") if v in ("4", "5", "6") else (
        ("x86_64", "aarch64", "ppc64le") if v == "7" else ("x86_64", "aarch64", "ppc64le", "s390x"))
    lettered = letters if v not in ("4", "5") else None
    trees = [("", "epel-{v}", "epel-debug-{v}", "epel-source-{v}"),
             ("testing/", "testing-epel{v}", "testing-debug-epel{v}", "testing-source-epel{v}")]
    if not old_layout and v in ("8", "9"):
        trees.append(("next/", "epel-next-{v}", "epel-next-debug-{v}", "epel-next-source-{v}"))
    if not old_layout and v == "8":
        trees.append(("playground/", "playground-epel{v}", "playground-debug-epel{v}",
                      "playground-source-epel{v}"))
    for sub, main, debug, source in trees:
        base = f"{root}{sub}{v}" if old_layout else f"{root}{sub}{v}/Everything"
        for arch in arches:
            ctx = DirContext(arch, dist, v)
            t.repo(cat, f"{base}/{arch}", main.format(v=v), ver, arch, ctx, lettered)
            t.repo(cat, f"{base}/{arch}/debug", debug.format(v=v), ver, arch, ctx, lettered)
        src = f"{base}/SRPMS" if old_layout else f"{base}/source/tree"
        t.repo(cat, src, source.format(v=v), ver, "source", DirContext("src", dist, v), lettered)


def _rpmfusion(t: Tree, cat: int, scale: Scale, licence: str, flavour: str) -> None:
    letters = scale.package_letters
    if flavour == "fedora":
        versions: tuple[str, ...] = tuple(str(v) for v in scale.rpmfusion_fedora) + ("rawhide",)
        arches: tuple[str, ...] = ("x86_64", "aarch64", "ppc64le", "i386")
    else:
        versions = scale.rpmfusion_el
        arches = ("x86_64", "aarch64", "ppc64le")
    stem = f"{licence}-{flavour}"
    for v in versions:
        ver = t.version("RPMFUSION", v if flavour == "fedora" else f"el{v}")
        dist = f"fc{v}" if flavour == "fedora" else f"el{v}"
        if v == "rawhide":
            for arch in arches:
                ctx = DirContext(arch, "fc44", v)
                t.repo(cat, f"development/rawhide/Everything/{arch}/os", f"{stem}-rawhide", ver,
                       arch, ctx, letters)
                t.repo(cat, f"development/rawhide/Everything/{arch}/debug",
                       f"{stem}-rawhide-debug", ver, arch, ctx, letters)
            continue
        for arch in arches:
            ctx = DirContext(arch, dist, v)
            t.repo(cat, f"releases/{v}/Everything/{arch}/os", f"{stem}-{v}", ver, arch, ctx, letters)
            t.repo(cat, f"releases/{v}/Everything/{arch}/debug", f"{stem}-debug-{v}", ver, arch,
                   ctx, letters)
            t.repo(cat, f"updates/{v}/{arch}", f"{stem}-updates-released-{v}", ver, arch, ctx,
                   letters)
            t.repo(cat, f"updates/{v}/{arch}/debug", f"{stem}-updates-released-debug-{v}", ver,
                   arch, ctx, letters)
            t.repo(cat, f"updates/testing/{v}/{arch}", f"{stem}-updates-testing-{v}", ver, arch,
                   ctx, letters)
            t.repo(cat, f"updates/testing/{v}/{arch}/debug", f"{stem}-updates-testing-debug-{v}",
                   ver, arch, ctx, letters)
            if licence == "nonfree" and arch == "x86_64":
                for extra in ("steam", "nvidia-driver"):
                    t.repo(cat, f"{extra}/{v}/{arch}", f"{stem}-{extra}-{v}", ver, arch, ctx,
                           None)
            t.repo(cat, f"tainted/{v}/{arch}", f"{stem}-tainted-{v}", ver, arch, ctx, letters)
            t.repo(cat, f"tainted/{v}/{arch}/debug", f"{stem}-tainted-debug-{v}", ver, arch, ctx,
                   letters)
        src = DirContext("src", dist, v)
        t.repo(cat, f"releases/{v}/Everything/source/SRPMS", f"{stem}-source-{v}", ver, "source",
               src, letters)
        t.repo(cat, f"updates/{v}/SRPMS", f"{stem}-updates-released-source-{v}", ver, "source",
               src, letters)


def _alt(t: Tree, cat: int, scale: Scale) -> None:
    """``pub/alt``: stage composes, IoT, spins respins; no repositories (SKIP_PATHS_FOR_VERSION)."""
    versions = scale.fedora_releases + ((scale.fedora_branched,) if scale.fedora_branched else ())
    stages = ("_Beta-1.1", "_Beta-1.2", "_RC-1.1", "_RC-1.4", "_RC-1.5") if scale.name == "fedora" \
        else ("_RC-1.1",)
    for v in versions:
        for arch in ("x86_64", "aarch64", "ppc64le", "s390x"):
            ctx = DirContext(arch, f"fc{v}", str(v))
            for stage in (f"{v}{s}" for s in stages):
                for edition in ("Everything", "Server", "Workstation") + scale.editions[:3]:
                    t.media(cat, f"stage/{stage}/{edition}/{arch}/iso", ISO,
                            attrs.evolve(ctx, label=edition))
                t.media(cat, f"stage/{stage}/Cloud/{arch}/images", IMAGES,
                        attrs.evolve(ctx, label="Cloud-Base"))
                t.packages(cat, f"stage/{stage}/Everything/{arch}/os", ctx, scale.package_letters,
                           os_extras=True)
            t.media(cat, f"iot/{v}/IoT/{arch}/images", IMAGES, attrs.evolve(ctx, label="IoT"))
            t.media(cat, f"iot/{v}/IoT/{arch}/iso", ISO, attrs.evolve(ctx, label="IoT"))
            t.packages(cat, f"iot/{v}/IoT/{arch}/os", ctx, scale.package_letters[:4])
    for month in range(1, 13 if scale.name == "fedora" else 3):
        ctx = DirContext("x86_64", f"fc{scale.fedora_releases[-1]}", str(scale.fedora_releases[-1]),
                         "Live-respin")
        t.media(cat, f"live-respins/2024{month:02d}", ISO, ctx)
    for v in range(27, 27 + (12 if scale.name == "fedora" else 1)):
        ctx = DirContext("riscv64", f"fc{v}", str(v))
        t.packages(cat, f"risc-v/repos/f{v}/RPMS", ctx, None)
        t.packages(cat, f"risc-v/repos/f{v}/SRPMS", attrs.evolve(ctx, arch="src"), None)


def _codecs(t: Tree, cat: int, scale: Scale) -> None:
    versions = tuple(str(v) for v in scale.codecs_releases) + ("rawhide",)
    for v in versions:
        ver = t.version("Fedora", v)
        for arch in ("x86_64", "aarch64", "ppc64le", "s390x", "i386"):
            ctx = DirContext(arch, "fc44" if v == "rawhide" else f"fc{v}", v)
            t.repo(cat, f"{v}/{arch}/os", f"fedora-cisco-openh264-{v}", ver, arch, ctx, None)
            t.repo(cat, f"{v}/{arch}/debug/tree", f"fedora-cisco-openh264-debug-{v}", ver, arch,
                   ctx, None)


def _fedora_core(t: Tree, cat: int, v: int) -> None:
    """Fedora Core 1-6 and Fedora Extras 3-6 (flat trees) under the archive."""
    ver = t.version("Fedora", str(v))
    dist = f"fc{v}"
    for arch in ("i386", "x86_64", "ppc"):
        ctx = DirContext(arch, dist, str(v))
        t.repo(cat, f"fedora/linux/core/{v}/{arch}/os", f"core-{v}", ver, arch, ctx, None)
        t.repo(cat, f"fedora/linux/core/{v}/{arch}/debug", f"core-debug-{v}", ver, arch, ctx, None)
        t.repo(cat, f"fedora/linux/core/updates/{v}/{arch}", f"updates-released-fc{v}", ver, arch,
               ctx, None)
        t.repo(cat, f"fedora/linux/core/updates/{v}/{arch}/debug",
               f"updates-released-debug-fc{v}", ver, arch, ctx, None)
        t.repo(cat, f"fedora/linux/core/updates/testing/{v}/{arch}", f"updates-testing-fc{v}",
               ver, arch, ctx, None)
        if v >= 3:
            t.repo(cat, f"fedora/linux/extras/{v}/{arch}", f"extras-{v}", ver, arch, ctx, None)
            t.repo(cat, f"fedora/linux/extras/{v}/{arch}/debug", f"extras-debug-{v}", ver, arch,
                   ctx, None)
    src = DirContext("src", dist, str(v))
    t.repo(cat, f"fedora/linux/core/{v}/source/SRPMS", f"core-source-{v}", ver, "source", src,
           None)
    t.repo(cat, f"fedora/linux/core/updates/{v}/SRPMS", f"updates-released-source-fc{v}", ver,
           "source", src, None)


def _archive(t: Tree, cat: int, scale: Scale) -> None:
    letters = scale.package_letters
    for v in scale.archive_core:
        _fedora_core(t, cat, v)
    for v in scale.archive_fedora:
        root = "fedora/linux/"
        _fedora_release(t, cat, root, v, _fedora_arches_archive(v), letters, scale.editions[:2])
        _fedora_updates(t, cat, root, v, _fedora_arches_archive(v), letters)
        if 28 <= v <= 38:
            _fedora_modular(t, cat, root, v, _fedora_arches_archive(v), letters)
        secondary = _secondary_arches_archive(v)
        if secondary:
            _fedora_release(t, cat, "fedora-secondary/", v, secondary, letters, ())
            _fedora_updates(t, cat, "fedora-secondary/", v, secondary, letters)
            if 28 <= v <= 38:
                _fedora_modular(t, cat, "fedora-secondary/", v, secondary, letters)
    for v in scale.archive_epel:
        _epel_release(t, cat, "epel/", v, letters, old_layout=True)


def build_tree(scale: Scale) -> Tree:
    """The whole planned master tree of ``scale`` (no randomness: the tree is the same for
    every seed)."""
    t = Tree()
    index = {c.name: i for i, c in enumerate(CATEGORIES)}
    for i in range(len(CATEGORIES)):
        t.add(i, "")
    _fedora_shaped(t, index["Fedora Linux"], scale, ("x86_64", "aarch64", "ppc64le", "s390x"))
    for v in scale.epel_releases:
        _epel_release(t, index["Fedora EPEL"], "", v, scale.package_letters, old_layout=False)
    _fedora_shaped(t, index["Fedora Secondary Arches"], scale, ("i386", "riscv64"))
    _archive(t, index["Fedora Archive"], scale)
    _alt(t, index["Fedora Other"], scale)
    _codecs(t, index["Fedora Codecs"], scale)
    for licence in ("free", "nonfree"):
        _rpmfusion(t, index[f"RPMFUSION {licence} Fedora"], scale, licence, "fedora")
        _rpmfusion(t, index[f"RPMFUSION {licence} EL"], scale, licence, "el")
    return t


# ============================================================================================
# names
# ============================================================================================

_SYLLABLES = ("ka", "lo", "mi", "ra", "ven", "tor", "sa", "li", "no", "bra", "del", "fin", "gar",
              "ho", "is", "ju", "kel", "mar", "nor", "ost", "pan", "qui", "ros", "sil", "tan", "ul",
              "var", "wen", "xen", "yo", "zor", "ber", "cal", "dor", "el", "fra", "gen", "hal")
_ORG_FORMS = ("University of {W}", "{W} University", "{W} Institute of Technology",
              "{W} Networks", "{W} Hosting", "{W} Internet", "{W} Mirror Project", "{W}Net",
              "{W} Datacenter", "{W} Open Source Lab", "{W} Telecom", "{W} Linux User Group")
_PUBLIC_HOST_NAMES = ("mirror", "mirrors", "ftp", "fedora", "dl", "mirror2", "repo", "linux")
_PRIVATE_HOST_NAMES = ("mirror-int", "repo", "fedora-cache", "pkgs", "yum", "internal-mirror")
_PACKAGE_STEMS = ("lib", "python3-", "perl-", "golang-", "rust-", "texlive-", "ghc-", "nodejs-",
                  "kernel", "gnome-", "kf6-", "qt6-", "")


def _word(rng: random.Random) -> str:
    r = rng.random
    n = len(_SYLLABLES)
    word = _SYLLABLES[int(r() * n)] + _SYLLABLES[int(r() * n)]
    if r() < 0.33:
        word += _SYLLABLES[int(r() * n)]
    return word.capitalize()


def _between(r: Callable[[], float], low: int, high: int) -> int:
    """``randint`` for hot loops: ``random()`` arithmetic instead of rejection sampling."""
    return low + int(r() * (high - low + 1))


def _hex(rng: random.Random, bits: int) -> str:
    return format(rng.getrandbits(bits), f"0{bits // 4}x")


# ============================================================================================
# sites and hosts
# ============================================================================================


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


def _weighted_countries(rng: random.Random, k: int) -> list[CountryInfo]:
    return rng.choices(COUNTRIES, weights=[c.weight for c in COUNTRIES], k=k)


def _plan_sites(scale: Scale, seed: int) -> list[SitePlan]:
    rng = random.Random(f"{seed}:site")
    sites: list[SitePlan] = []
    slugs: set[tuple[str, str]] = set()
    countries = _weighted_countries(rng, scale.sites)
    for i, country in enumerate(countries, start=1):
        while True:
            word = _word(rng)
            form = rng.choice(_ORG_FORMS)
            slug = word.lower() + ("" if rng.random() < 0.7 else rng.choice(("net", "lab", "hub")))
            tld = rng.choice(country.tlds)
            if (slug, tld) not in slugs:
                slugs.add((slug, tld))
                break
        asn = rng.choice((rng.randint(1_000, 64_000), rng.randint(131_072, 400_000)))
        sites.append(SitePlan(i, form.format(W=word), slug, tld, country, asn, False))
    return sites


def _plan_hosts(scale: Scale, seed: int, sites: list[SitePlan]) -> list[HostPlan]:
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
        country = site.country if rng.random() < 0.95 else _weighted_countries(rng, 1)[0]
        asn = site.asn if rng.random() < 0.85 else None
        hosts.append(HostPlan(index + 1, site_id, name, private, country, asn, schemes, url_base))
    return hosts


def _plan_host_categories(scale: Scale, seed: int, hosts: list[HostPlan]) -> list[HostCategoryPlan]:
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
    optional_arches = [_ARCH_BIT[a] for a in ("aarch64", "i386", "ppc64le", "s390x", "armhfp",
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


# ============================================================================================
# the dataset: every table, lazily
# ============================================================================================


@attrs.frozen
class TableRows:
    """One table of the dataset: its columns, its rows (an iterable, consumed once) and exactly
    how many rows it will yield."""

    columns: tuple[str, ...]
    rows: Iterable[Row]
    expected: int


class Dataset:
    """The synthetic deployment of ``(scale, seed)``, planned up front (small tables and the
    tree index), generated lazily table by table by :meth:`tables`."""

    def __init__(self, scale: Scale, seed: int) -> None:
        self.scale = scale
        self.seed = seed
        self.tree = build_tree(scale)
        self.sites = _plan_sites(scale, seed)
        self.hosts = _plan_hosts(scale, seed, self.sites)
        self.host_categories = _plan_host_categories(scale, seed, self.hosts)
        self.arch_ids = {name: i for i, name in enumerate(_ARCH_NAMES, start=1)}
        self.product_ids = {name: i for i, name in enumerate(PRODUCTS, start=1)}
        self.version_ids = {key: i for i, key in enumerate(self.tree.versions, start=1)}
        self.country_codes = sorted({c.code for c in COUNTRIES} | {c for c, _ in CONTINENT_REDIRECTS}
                                    | set(EMBARGOED))
        self.country_ids = {code: i for i, code in enumerate(self.country_codes, start=1)}
        # per category: [(dir id, path relative to topdir, feature bits)] and a count per bits
        self._category_dirs: list[list[tuple[int, str, int]]] = [[] for _ in CATEGORIES]
        for i, (cat, rel, mask) in enumerate(zip(self.tree.categories, self.tree.relpaths,
                                                 self.tree.masks, strict=True)):
            self._category_dirs[cat].append((i + 1, rel, mask))
        for dirs in self._category_dirs:
            dirs.sort(key=lambda d: d[1])
        self._mask_counts = [Counter(m for _, _, m in dirs) for dirs in self._category_dirs]

    def _rng(self, table: str) -> random.Random:
        return random.Random(f"{self.seed}:{table}")

    def hcd_count(self, hc: HostCategoryPlan) -> int:
        """How many host_category_dir rows ``hc`` gets (without generating them)."""
        return self._hcd_count_for(hc.category, hc.excluded)

    def _hcd_count_for(self, category: int, excluded: int) -> int:
        return sum(n for m, n in self._mask_counts[category].items() if not m & excluded)

    # ----------------------------------------------------------------------------------------

    def tables(self) -> dict[str, TableRows]:
        """Every table, in foreign-key order, as ``{name: TableRows}``."""
        t = self.tree
        hosts = self.hosts
        netblock_total = self._netblock_counts()
        fd_total = sum(len(rows) for rows in self._file_detail_plan().values())
        out: dict[str, TableRows] = {
            "site": TableRows(
                ("id", "name", "password", "org_url", "private", "admin_active", "user_active",
                 "created_at", "created_by", "all_sites_can_pull_from_me",
                 "downstream_comments", "email_on_drop", "email_on_add"),
                self._site_rows(), len(self.sites)),
            "site_admin": TableRows(("id", "username", "site_id"), self._site_admin_rows(),
                                    self._site_admin_count()),
            "country": TableRows(("id", "code"), [(i, c) for c, i in self.country_ids.items()],
                                 len(self.country_ids)),
            "arch": TableRows(("id", "name", "publiclist", "primary_arch"),
                              [(i, *a) for i, a in enumerate(ARCHES, start=1)], len(ARCHES)),
            "product": TableRows(("id", "name", "publiclist"),
                                 [(i, p, True) for p, i in self.product_ids.items()],
                                 len(PRODUCTS)),
            "version": TableRows(
                ("id", "name", "codename", "is_test", "display", "display_name",
                 "ordered_mirrorlist", "sortorder", "product_id"),
                self._version_rows(), len(t.versions)),
            "directory": TableRows(("id", "name", "files", "readable", "ctime"),
                                   self._directory_rows(), len(t.names)),
            "category": TableRows(
                ("id", "name", "canonicalhost", "publiclist", "geo_dns_domain", "admin_only",
                 "product_id", "topdir_id"),
                self._category_rows(), len(CATEGORIES)),
            "category_directory": TableRows(
                ("category_id", "directory_id"),
                ((cat + 1, i + 1) for i, cat in enumerate(t.categories)), len(t.names)),
            "repository": TableRows(
                ("id", "name", "prefix", "category_id", "version_id", "arch_id", "directory_id",
                 "disabled"),
                self._repository_rows(), len(t.repos)),
            "file_detail": TableRows(
                ("id", "filename", "timestamp", "size", "sha1", "md5", "sha256", "sha512",
                 "directory_id"),
                self._file_detail_rows(), fd_total),
            "host": TableRows(
                ("id", "name", "site_id", "robot_email", "admin_active", "user_active", "country",
                 "bandwidth_int", "comment", "last_checked_in", "last_crawled", "private",
                 "internet2", "internet2_clients", "asn", "asn_clients", "max_connections",
                 "last_crawl_duration", "crawl_failures", "disable_reason", "latitude",
                 "longitude"),
                self._host_rows(), len(hosts)),
            "host_category": TableRows(
                ("id", "host_id", "category_id", "always_up2date"),
                ((hc.id, hc.host.id, hc.category + 1, hc.host.private and hc.state == "fresh"
                  and hc.id % 17 == 0) for hc in self.host_categories),
                len(self.host_categories)),
            "host_category_url": TableRows(
                ("id", "host_category_id", "url", "private"),
                self._url_rows(), self._url_count()),
            "host_category_dir": TableRows(
                ("id", "host_category_id", "path", "up2date", "directory_id"),
                self._hcd_rows(), sum(self.hcd_count(hc) for hc in self.host_categories)),
            "host_netblock": TableRows(("id", "netblock", "name", "host_id"),
                                       self._netblock_rows(), sum(netblock_total)),
            "host_peer_asn": TableRows(("id", "asn", "name", "host_id"),
                                       self._peer_asn_rows(), len(self._peer_asn_plan())),
            "host_country_allowed": TableRows(("id", "country", "host_id"),
                                              self._allowed_plan(), len(self._allowed_plan())),
            "host_country": TableRows(("id", "country_id", "host_id"),
                                      self._host_country_plan(), len(self._host_country_plan())),
            "location": TableRows(("id", "name"),
                                  [(i, n) for i, n in enumerate(LOCATIONS, start=1)],
                                  len(LOCATIONS)),
            "host_location": TableRows(("id", "location_id", "host_id"),
                                       self._host_location_plan(),
                                       len(self._host_location_plan())),
            "repository_redirect": TableRows(("id", "from_repo", "to_repo"),
                                             self._redirect_plan(), len(self._redirect_plan())),
            "country_continent_redirect": TableRows(
                ("id", "country", "continent"),
                [(i, c, k) for i, (c, k) in enumerate(CONTINENT_REDIRECTS, start=1)],
                len(CONTINENT_REDIRECTS)),
            "embargoed_country": TableRows(("id", "country_code"),
                                           [(i, c) for i, c in enumerate(EMBARGOED, start=1)],
                                           len(EMBARGOED)),
            "netblock_country": TableRows(("id", "netblock", "country"),
                                          self._netblock_country_plan(),
                                          len(self._netblock_country_plan())),
            "propagation_stat": TableRows(
                ("repository_id", "datetime", "same_day", "one_day", "two_day", "older",
                 "no_info"),
                self._propagation_plan(), len(self._propagation_plan())),
            "access_stat_category": TableRows(
                ("id", "name"), [(1, "countries"), (2, "archs"), (3, "repositories")], 3),
            "access_stat": TableRows(("category_id", "date", "name", "percent", "requests"),
                                     self._access_stat_plan(), len(self._access_stat_plan())),
        }
        return out

    # -- sites ------------------------------------------------------------------------------

    def _site_rows(self) -> Iterator[Row]:
        rng = self._rng("site_rows")
        private_sites = {h.site_id for h in self.hosts if h.private} - {
            h.site_id for h in self.hosts if not h.private}
        for s in self.sites:
            created = EPOCH_DT - datetime.timedelta(days=rng.randint(30, 6000),
                                                    seconds=rng.randint(0, 86_399))
            yield (s.id, s.name, _hex(rng, 128), f"https://www.{s.slug}.{s.tld}/",
                   s.id in private_sites and rng.random() < 0.5, rng.random() > 0.01,
                   rng.random() > 0.01, created, self._username(rng), False, None,
                   rng.random() < 0.3, rng.random() < 0.2)

    @staticmethod
    def _username(rng: random.Random) -> str:
        return (rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES)
                + (str(rng.randint(1, 99)) if rng.random() < 0.2 else ""))

    def _site_admin_counts(self) -> list[int]:
        rng = self._rng("site_admin_counts")
        return [rng.choice((1, 1, 1, 2, 2, 3)) for _ in self.sites]

    def _site_admin_count(self) -> int:
        return sum(self._site_admin_counts())

    def _site_admin_rows(self) -> Iterator[Row]:
        rng = self._rng("site_admin")
        next_id = 1
        for site, count in zip(self.sites, self._site_admin_counts(), strict=True):
            for _ in range(count):
                yield (next_id, self._username(rng), site.id)
                next_id += 1

    # -- content ----------------------------------------------------------------------------

    def _version_rows(self) -> Iterator[Row]:
        newest_archive = max(self.scale.archive_fedora, default=0)
        for key, vid in self.version_ids.items():
            v = self.tree.versions[key]
            display = v.display and not (v.product == "Fedora" and v.name.isdigit()
                                         and int(v.name) < newest_archive - 5)
            yield (vid, v.name, None, v.is_test, display, v.display_name, True, v.sortorder,
                   self.product_ids[v.product])

    def _category_rows(self) -> Iterator[Row]:
        for i, c in enumerate(CATEGORIES):
            canonical = ("https://download1.rpmfusion.org" if c.product == "RPMFUSION"
                         else "https://dl.fedoraproject.org")
            yield (i + 1, c.name, canonical, True, None, c.name == "Fedora Codecs",
                   self.product_ids[c.product], self.tree.topdirs[i])

    def _repository_rows(self) -> Iterator[Row]:
        names = self.tree.names
        for i, r in enumerate(self.tree.repos, start=1):
            yield (i, names[r.directory_id - 1], r.prefix, r.category + 1,
                   self.version_ids[r.version], self.arch_ids[r.arch], r.directory_id,
                   False)

    def _directory_rows(self) -> Iterator[Row]:
        rng = self._rng("directory")
        t = self.tree
        repomd = self._repomd_current()
        r = rng.random
        for i, (name, kind, ctx) in enumerate(zip(t.names, t.kinds, t.contexts, strict=True)):
            dir_id = i + 1
            mtime = EPOCH - int(r() * 86_400 * (30 if t.masks[i] & F_VOLATILE else 900))
            files = _file_list(rng, kind, ctx, mtime, repomd.get(dir_id), dir_id)
            yield (dir_id, name, files, r() > 0.002, mtime)

    def _repomd_current(self) -> dict[int, tuple[int, int]]:
        """``{repodata dir id: (size, timestamp)}`` of the newest repomd.xml (every repodata
        directory, repository or not: MirrorManager2 records any repomd.xml it lists)."""
        rng = self._rng("repomd")
        return {
            i + 1: (rng.randint(3_000, 9_000),
                    EPOCH - rng.randint(0, 86_400 * (2 if mask & F_VOLATILE else 400)))
            for i, (kind, mask) in enumerate(zip(self.tree.kinds, self.tree.masks, strict=True))
            if kind == REPODATA
        }

    def _file_detail_plan(self) -> dict[int, list[tuple[str, int, int, bool]]]:
        """``{directory id: [(filename, size, timestamp, all checksums?)]}``, newest first."""
        plan: dict[int, list[tuple[str, int, int, bool]]] = {}
        rng = self._rng("file_detail_plan")
        for dir_id, (size, stamp) in self._repomd_current().items():
            volatile = self.tree.masks[dir_id - 1] & F_VOLATILE
            history = rng.choice((3, 4, 5, 6)) if volatile else rng.choice((1, 2, 2, 3))
            rows = [("repomd.xml", size, stamp, True)]
            for _ in range(history - 1):
                stamp -= rng.randint(3_600, 86_400 * 2)
                rows.append(("repomd.xml", rng.randint(3_000, 9_000), stamp, True))
            plan[dir_id] = rows
        for i, (kind, ctx) in enumerate(zip(self.tree.kinds, self.tree.contexts, strict=True)):
            if kind in (ISO, IMAGES) and ctx is not None:
                plan[i + 1] = [(n, s, ts, False) for n, s, ts in _media_files(ctx, kind, i + 1)]
        return plan

    def _file_detail_rows(self) -> Iterator[Row]:
        rng = self._rng("file_detail")
        next_id = 1
        for dir_id, rows in sorted(self._file_detail_plan().items()):
            for filename, size, stamp, full in rows:
                sha256 = _hex(rng, 256)
                if full:
                    yield (next_id, filename, stamp, size, _hex(rng, 160), _hex(rng, 128), sha256,
                           _hex(rng, 512), dir_id)
                else:
                    yield (next_id, filename, stamp, size, None, None, sha256, None, dir_id)
                next_id += 1

    # -- hosts ------------------------------------------------------------------------------

    def _host_rows(self) -> Iterator[Row]:
        rng = self._rng("host_rows")
        for h in self.hosts:
            site = self.sites[h.site_id - 1]
            admin_active = rng.random() > 0.02
            user_active = rng.random() > 0.03
            failures = 0 if rng.random() < 0.9 else rng.randint(1, 10)
            disable_reason = None
            if not admin_active:
                disable_reason = rng.choice(("crawl failures", "disabled on request",
                                             "stale for months"))
            bandwidth = rng.choices((10, 100, 1000, 2000, 10000, 40000, 100000),
                                    weights=(3, 15, 35, 10, 27, 5, 5))[0]
            crawled = None if h.private else EPOCH_DT - datetime.timedelta(
                minutes=rng.randint(5, 60 * 24))
            checked_in = EPOCH_DT - datetime.timedelta(hours=rng.randint(1, 240)) \
                if h.private else None
            internet2 = h.country.code == "US" and rng.random() < 0.25
            yield (
                h.id, h.name, h.site_id,
                f"mirror-admin@{site.slug}.{site.tld}" if rng.random() < 0.6 else None,
                admin_active, user_active, h.country.code, bandwidth,
                rng.choice((None, None, None, "10 Gbit uplink", "university network",
                            "rsync every 4 hours")),
                checked_in, crawled, h.private, internet2, internet2 and rng.random() < 0.7,
                h.asn, rng.random() < 0.7,
                rng.choices((1, 2, 3, 4, 6, 10), weights=(55, 15, 10, 10, 5, 5))[0],
                None if h.private else rng.randint(20, 3_600), failures, disable_reason,
                round(h.country.latitude + rng.uniform(-3, 3), 4),
                round(h.country.longitude + rng.uniform(-3, 3), 4),
            )

    def _url_plan(self) -> Iterator[tuple[HostCategoryPlan, str, bool]]:
        for hc in self.host_categories:
            h = hc.host
            path = CATEGORIES[hc.category].url_path
            for scheme in h.schemes:
                if scheme == "rsync":
                    url = f"rsync://{h.name}/{h.url_base or 'fedora/'}{path}"
                    private = h.private or hc.id % 20 == 0
                else:
                    url = f"{scheme}://{h.name}/{h.url_base}{path}"
                    private = False
                yield hc, url, private

    def _url_count(self) -> int:
        return sum(1 for _ in self._url_plan())

    def _url_rows(self) -> Iterator[Row]:
        for i, (hc, url, private) in enumerate(self._url_plan(), start=1):
            yield (i, hc.id, url, private)

    def _hcd_rows(self) -> Iterator[Row]:
        """The big one: every directory a host category carries, ~95% up to date.  Rows come
        in (host category, path) order -- the order of the unique index -- and are assembled by
        ``zip`` over cached per-(category, exclusions) columns so the per-row work stays in C."""
        return itertools.chain.from_iterable(self._hcd_chunks())

    def _hcd_chunks(self) -> Iterator[Iterator[Row]]:
        rng = self._rng("host_category_dir")
        random_ = rng.random
        # per category, column lists in path order: paths, directory ids, feature bits
        columns = [([d[1] for d in dirs], [d[0] for d in dirs], [d[2] for d in dirs])
                   for dirs in self._category_dirs]
        next_id = 1
        for hc in self.host_categories:
            rels, dir_ids, masks = columns[hc.category]
            keep = {m: not m & hc.excluded for m in self._mask_counts[hc.category]}
            selected = list(map(keep.__getitem__, masks))
            count = self._hcd_count_for(hc.category, hc.excluded)
            if hc.state == "fresh":
                up2date: Iterable[bool] = itertools.repeat(True, count)
            else:
                # lagging: recently changed trees partly stale; stale: most of everything
                p_volatile, p_other = (0.5, 0.02) if hc.state == "lagging" else (0.8, 0.6)
                up2date = [random_() >= (p_volatile if m & F_VOLATILE else p_other)
                           for m in itertools.compress(masks, selected)]
            yield zip(itertools.count(next_id), itertools.repeat(hc.id, count),
                      itertools.compress(rels, selected), up2date,
                      itertools.compress(dir_ids, selected))
            next_id += count

    def _netblock_counts(self) -> list[int]:
        """Netblocks per host: heavy-tailed (a few ISPs list hundreds), summing to the scale's."""
        rng = self._rng("netblock_counts")
        weights = [rng.paretovariate(1.1) if rng.random() < (0.7 if h.private else 0.45) else 0.0
                   for h in self.hosts]
        if not any(weights):
            weights[0] = 1.0
        total = sum(weights)
        counts = [int(self.scale.netblocks * w / total) for w in weights]
        counts = [min(c, 2_000) for c in counts]
        shortfall = self.scale.netblocks - sum(counts)
        order = sorted(range(len(weights)), key=lambda i: -weights[i])
        for i in range(shortfall):
            counts[order[i % max(1, sum(1 for w in weights if w))]] += 1
        return counts

    def _netblock_rows(self) -> Iterator[Row]:
        rng = self._rng("host_netblock")
        next_id = 1
        for h, count in zip(self.hosts, self._netblock_counts(), strict=True):
            for n in range(count):
                yield (next_id, _random_netblock(rng), f"{h.name.split('.', 1)[1]} block {n + 1}",
                       h.id)
                next_id += 1

    def _peer_asn_plan(self) -> list[Row]:
        rng = self._rng("host_peer_asn")
        rows: list[Row] = []
        picked = rng.sample(self.hosts, max(1, round(len(self.hosts) * 0.03)))
        for h in sorted(picked, key=lambda h: h.id):
            asns = rng.sample(range(1_000, 64_000), rng.randint(1, 6))
            for asn in sorted(asns):
                rows.append((len(rows) + 1, asn, f"AS{asn} peer", h.id))
        return rows

    def _peer_asn_rows(self) -> Iterator[Row]:
        return iter(self._peer_asn_plan())

    def _allowed_plan(self) -> list[Row]:
        """A few hosts serving only some countries; a country at most once (upstream's unique)."""
        rng = self._rng("host_country_allowed")
        rows: list[Row] = []
        used: set[str] = set()
        count = max(1, round(len(self.hosts) * 0.01))
        for h in sorted(rng.sample(self.hosts, count), key=lambda h: h.id):
            for code in [h.country.code] + [c.code for c in _weighted_countries(rng, 2)]:
                if code not in used:
                    used.add(code)
                    rows.append((len(rows) + 1, code, h.id))
        return rows

    def _host_country_plan(self) -> list[Row]:
        rng = self._rng("host_country")
        rows: list[Row] = []
        count = max(1, round(len(self.hosts) * 0.05))
        for h in sorted(rng.sample(self.hosts, count), key=lambda h: h.id):
            near = [c for c in COUNTRIES
                    if c.continent == h.country.continent and c.code != h.country.code]
            for c in sorted(rng.sample(near, min(len(near), rng.randint(1, 3))),
                            key=lambda c: c.code):
                rows.append((len(rows) + 1, self.country_ids[c.code], h.id))
        return rows

    def _host_location_plan(self) -> list[Row]:
        rng = self._rng("host_location")
        rows: list[Row] = []
        for loc_id in range(1, len(LOCATIONS) + 1):
            k = min(len(self.hosts), rng.randint(1, 4))
            for h in sorted(rng.sample(self.hosts, k), key=lambda h: h.id):
                rows.append((len(rows) + 1, loc_id, h.id))
        return rows

    def _redirect_plan(self) -> list[Row]:
        pairs = [("fedora-rawhide", "rawhide"), ("fedora-debug-rawhide", "rawhide-debug"),
                 ("fedora-source-rawhide", "rawhide-source"),
                 ("updates-released-frawhide", "rawhide"),
                 ("updates-released-debug-frawhide", "rawhide-debug"),
                 ("updates-released-source-frawhide", "rawhide-source"),
                 ("updates-testing-frawhide", "rawhide"),
                 ("updates-testing-debug-frawhide", "rawhide-debug"),
                 ("updates-testing-source-frawhide", "rawhide-source")]
        if self.scale.fedora_branched is not None:
            b = self.scale.fedora_branched
            pairs += [(f"updates-released-f{b}", f"fedora-{b}"),
                      (f"updates-released-debug-f{b}", f"fedora-debug-{b}"),
                      (f"updates-released-source-f{b}", f"fedora-source-{b}")]
        for v in self.scale.epel_releases:
            pairs += [(f"epel-testing-{v}", f"testing-epel{v}"),
                      (f"epel-testing-debug-{v}", f"testing-debug-epel{v}"),
                      (f"epel-testing-source-{v}", f"testing-source-epel{v}")]
        return [(i, f, t) for i, (f, t) in enumerate(pairs, start=1)]

    def _netblock_country_plan(self) -> list[Row]:
        rng = self._rng("netblock_country")
        seen: set[str] = set()
        rows: list[Row] = []
        while len(rows) < max(5, self.scale.netblocks // 200):
            block = _random_netblock(rng)
            if block not in seen:
                seen.add(block)
                rows.append((len(rows) + 1, block, _weighted_countries(rng, 1)[0].code))
        return rows

    def _propagation_plan(self) -> list[Row]:
        """Six-hourly samples over a week for the updates repositories of the current releases."""
        rng = self._rng("propagation_stat")
        watched = [i for i, r in enumerate(self.tree.repos, start=1)
                   if r.prefix.startswith(("updates-released-f", "epel-")) and r.arch == "x86_64"
                   and CATEGORIES[r.category].name != "Fedora Archive"]
        public = sum(1 for h in self.hosts if not h.private)
        rows: list[Row] = []
        for repo_id in watched:
            for step in range(28):
                when = EPOCH_DT - datetime.timedelta(hours=6 * step)
                same = rng.randint(public // 2, public)
                one = rng.randint(0, public - same)
                two = rng.randint(0, public - same - one)
                older = rng.randint(0, public - same - one - two)
                rows.append((repo_id, when, same, one, two, older,
                             public - same - one - two - older))
        return rows

    def _access_stat_plan(self) -> list[Row]:
        rng = self._rng("access_stat")
        rows: list[Row] = []
        repo_names = sorted({r.prefix for r in self.tree.repos
                             if CATEGORIES[r.category].name in ("Fedora Linux", "Fedora EPEL")})[:30]
        keys = {1: [c.code for c in COUNTRIES[:30]],
                2: ["x86_64", "aarch64", "ppc64le", "s390x", "i386", "source"],
                3: repo_names}
        for day in range(30):
            date = (EPOCH_DT - datetime.timedelta(days=day + 1)).date()
            for cat_id, names in keys.items():
                requests = [rng.randint(100, 2_000_000) for _ in names]
                total = sum(requests) or 1
                for name, n in zip(names, requests, strict=True):
                    rows.append((cat_id, date, name, round(100 * n / total, 3), n))
        return rows


# ============================================================================================
# file lists and netblocks
# ============================================================================================


def _media_files(ctx: DirContext, kind: int, dir_id: int) -> list[tuple[str, int, int]]:
    """The images of a media directory (deterministic from the directory id)."""
    label = ctx.label or "Everything"
    stamp = EPOCH - 86_400 * (30 + dir_id % 500)
    compose = f"{ctx.version}-1.{1 + dir_id % 7}"
    if kind == ISO:
        names = [f"Fedora-{label}-Live-{ctx.arch}-{compose}.iso"]
        if label in ("Server", "Everything", "DVD"):
            names = [f"Fedora-{label}-netinst-{ctx.arch}-{compose}.iso"]
            if label != "Everything":
                names.append(f"Fedora-{label}-dvd-{ctx.arch}-{compose}.iso")
    else:
        names = [f"Fedora-{label}-{compose}.{ctx.arch}.qcow2",
                 f"Fedora-{label}-{compose}.{ctx.arch}.raw.xz"]
    return [(n, 700_000_000 + (dir_id * 7_919 + i * 104_729) % 1_800_000_000, stamp)
            for i, n in enumerate(names)]


def _file_list(rng: random.Random, kind: int, ctx: DirContext | None, mtime: int,
               repomd: tuple[int, int] | None, dir_id: int) -> bytes:
    r = rng.random
    entries: list[tuple[str, int, int]] = []
    if kind == REPODATA:
        size, stamp = repomd or (4_000, mtime)
        entries.append(("repomd.xml", size, stamp))
        for part in ("primary.xml.zst", "filelists.xml.zst", "other.xml.zst"):
            entries.append((f"{_hex(rng, 256)}-{part}", _between(r, 10_000, 60_000_000), stamp))
    elif kind in (PACKAGES, FLAT_PACKAGES):
        # MirrorManager2 keeps only the 3 newest packages of a directory full of them
        assert ctx is not None
        stems = len(_PACKAGE_STEMS)
        for _ in range(3):
            name = _PACKAGE_STEMS[int(r() * stems)] + _word(rng).lower()
            arch = "noarch" if r() < 0.25 and ctx.arch != "src" else ctx.arch
            entries.append((f"{name}-{int(r() * 10)}.{int(r() * 41)}.{int(r() * 10)}"
                            f"-{1 + int(r() * 9)}.{ctx.dist}.{arch}.rpm",
                            _between(r, 5_000, 90_000_000), mtime - int(r() * 86_400)))
    elif kind == TREE:
        entries.append((".treeinfo", _between(r, 900, 2_000), mtime))
    elif kind in (ISO, IMAGES):
        assert ctx is not None
        images = _media_files(ctx, kind, dir_id)
        entries.extend(images)
        label = ctx.label or "Everything"
        entries.append((f"Fedora-{label}-{ctx.version}-{ctx.arch}-CHECKSUM",
                        _between(r, 900, 2_000), images[0][2]))
    elif kind == PXEBOOT:
        entries += [("vmlinuz", _between(r, 12_000_000, 16_000_000), mtime),
                    ("initrd.img", _between(r, 90_000_000, 160_000_000), mtime)]
    return encode_file_list(entries)


_V4_PREFIXES = ((24, 30), (23, 8), (22, 15), (21, 8), (20, 14), (19, 6), (18, 5), (17, 4),
                (16, 10))
_V6_PREFIXES = ((32, 40), (29, 10), (36, 10), (40, 10), (44, 10), (48, 20))


def _random_netblock(rng: random.Random) -> str:
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


# ============================================================================================
# loading and the command
# ============================================================================================

#: every table the dataset fills (it refuses a database where any of them holds rows)
DATASET_TABLES: tuple[str, ...] = (
    "site", "site_admin", "country", "arch", "product", "version", "directory", "category",
    "category_directory", "repository", "file_detail", "host", "host_category",
    "host_category_url", "host_category_dir", "host_netblock", "host_peer_asn",
    "host_country_allowed", "host_country", "location", "host_location", "repository_redirect",
    "country_continent_redirect", "embargoed_country", "netblock_country", "propagation_stat",
    "access_stat_category", "access_stat",
)


class DatasetRefused(Exception):
    """The database already holds data the dataset would collide with."""


@attrs.frozen
class LoadReport:
    scale: str
    seed: int
    rows: dict[str, int]
    seconds: float
    #: seconds between the last row handed over and ``bulk_load`` returning (indexes, checks)
    finish_seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def summary(self) -> str:
        per_table = " ".join(f"{t}={n}" for t, n in self.rows.items())
        return (f"dataset scale={self.scale} seed={self.seed} rows={self.total_rows} "
                f"seconds={self.seconds:.1f} {per_table}")


class _Tracked:
    """Wraps a table's rows to note when the loader has taken the last one."""

    def __init__(self, table: str, rows: Iterable[Row], done: Callable[[str], None]) -> None:
        self.table = table
        self.rows = rows
        self.done = done

    def __iter__(self) -> Iterator[Row]:
        return itertools.chain(self.rows, self._finished())

    def _finished(self) -> Iterator[Row]:
        self.done(self.table)
        return
        yield


class _LoadProgress:
    """Feeds ``bulk_load``'s ``progress(table, rows)`` callbacks into one
    :class:`mmcore.progress.Progress` per table (a bar on a terminal, plain lines otherwise)."""

    def __init__(self, stream: TextIO, expected: dict[str, int]) -> None:
        self.stream = stream
        self.expected = expected
        self.current: Progress | None = None
        self.last_row_at = time.monotonic()

    def _for(self, table: str) -> Progress:
        if self.current is None or self.current.label != f"dataset {table}":
            self.current = Progress(
                f"dataset {table}", self.expected.get(table, 0), stream=self.stream
            )
        return self.current

    def __call__(self, table: str, done: int) -> None:
        progress = self._for(table)
        progress.advance(done - progress.done)

    def table_done(self, table: str) -> None:
        progress = self._for(table)
        progress.advance(self.expected.get(table, 0) - progress.done)
        progress.finish()
        self.last_row_at = time.monotonic()
        log.info("dataset table=%s rows=%d seconds=%.2f", table, progress.done,
                 self.last_row_at - progress.started)


def load_dataset(store: Store, scale: Scale, seed: int,
                 progress_stream: TextIO | None = None) -> LoadReport:
    """Fill ``store`` (upgraded, empty) with the dataset of ``(scale, seed)``.

    :raises DatasetRefused: if any dataset table already holds rows.
    :raises StoreError: schema out of date, or the load failed (nothing is written then).
    """
    store.check_schema()
    counts = store.table_counts()
    occupied = {t: counts[t] for t in DATASET_TABLES if counts.get(t)}
    if occupied:
        listed = ", ".join(f"{t} ({n} rows)" for t, n in occupied.items())
        raise DatasetRefused(
            f"database {store.display_url} already holds data: {listed}; the dataset only fills "
            "an empty database (its ids would collide) -- point [database] url at a new database "
            "and run `mirrormanager db upgrade` first"
        )
    started = time.monotonic()
    dataset = Dataset(scale, seed)
    tables = dataset.tables()
    expected = {name: t.expected for name, t in tables.items()}
    progress = _LoadProgress(progress_stream or _NullStream(), expected)
    log.info("dataset scale=%s seed=%d directories=%d hosts=%d planned_seconds=%.2f", scale.name,
             seed, len(dataset.tree.names), len(dataset.hosts), time.monotonic() - started)
    feed = {name: (t.columns, _Tracked(name, t.rows, progress.table_done))
            for name, t in tables.items()}
    written = store.bulk_load(feed, progress)
    finished = time.monotonic()
    for name, n in written.items():
        if n != expected[name]:
            raise StoreError(f"dataset: {name} got {n} rows, {expected[name]} were generated")
    return LoadReport(scale.name, seed, dict(written), finished - started,
                      finished - progress.last_row_at)


class _NullStream(io.StringIO):
    """Progress nobody asked to see."""

    def write(self, _text: str) -> int:
        return 0


def run(runtime: Runtime, args: argparse.Namespace) -> int:
    scale = SCALES[args.scale]
    store = runtime.open_store()
    try:
        report = load_dataset(store, scale, args.seed, runtime.err)
    except DatasetRefused as exc:
        raise CommandError(str(exc)) from exc
    except StoreError as exc:
        raise CommandError(str(exc)) from exc
    print(report.summary(), file=runtime.out)
    return 0
