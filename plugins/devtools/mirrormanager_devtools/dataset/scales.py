"""How big a synthetic deployment is: :class:`Scale` and the two of :data:`SCALES`."""

from __future__ import annotations

import attrs


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


CARRIERS = (
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
ALL_LETTERS = tuple("plgrtmcksdhfbnaexoiuvwjzqy3204698715")

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
        carriers=CARRIERS,
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
        package_letters=ALL_LETTERS,
        editions=("Workstation", "Spins", "Labs", "Kinoite", "Silverblue", "KDE"),
        netblocks=10_000,
        carriers=CARRIERS,
    ),
}
