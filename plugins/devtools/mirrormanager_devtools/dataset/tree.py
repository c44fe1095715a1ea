"""The planned master tree: directories (with their kind and feature bits), versions and
repositories, as :class:`Tree` collects them; :mod:`.layouts` says what goes in it."""

from __future__ import annotations

import attrs

from mirrormanager_devtools.dataset.reference import ARCH_NAMES, CATEGORIES, CategorySpec

# directory kinds: what its (short) file list looks like
PLAIN, TREE, PACKAGES, FLAT_PACKAGES, REPODATA, ISO, IMAGES, PXEBOOT = range(8)

# feature bits of a directory, for which sub-trees a mirror leaves out and what goes stale
F_DEBUG, F_SOURCE, F_MEDIA, F_TESTING, F_VOLATILE = 1, 2, 4, 8, 16
ARCH_BIT = {name: 32 << i for i, name in enumerate(ARCH_NAMES)}
COMPONENT_BITS: dict[str, int] = {
    "debug": F_DEBUG, "source": F_SOURCE, "SRPMS": F_SOURCE, "testing": F_TESTING | F_VOLATILE,
    "updates": F_VOLATILE, "development": F_VOLATILE, "rawhide": F_VOLATILE,
    **{name: bit for name, bit in ARCH_BIT.items() if name != "source"},
}


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
            mask |= COMPONENT_BITS.get(component, 0)
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
            letters = letters[: letters_in(CATEGORIES[cat], rel)]
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


def letters_in(category: CategorySpec, rel: str) -> int:
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
