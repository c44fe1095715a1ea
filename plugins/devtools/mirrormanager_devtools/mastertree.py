"""Fedora-like master trees on disk, for tests, benchmarks and the demo.

Deterministic for a seed: the same :class:`TreeSpec` gives the same names, sizes, file times and
repository metadata (directory ctimes are the kernel's, naturally).  Repositories are real yum
repositories: ``repodata/repomd.xml`` references gzip-compressed ``primary``, ``filelists`` and
``other`` XML files with correct checksums and sizes, and ``primary`` lists every package file
with its real sha256 -- enough for dnf/librepo to download and verify the metadata.

Layout (``pub/`` under the root)::

    pub/fedora/fullfiletimelist-fedora                       (optional, see write_fullfiletimelist)
    pub/fedora/linux/releases/N/Everything/ARCH/os/          fedora-N
    pub/fedora/linux/releases/N/Everything/ARCH/debug/tree/  fedora-debug-N
    pub/fedora/linux/releases/N/Everything/source/tree/      fedora-source-N
    pub/fedora/linux/releases/N/Server/ARCH/iso/             ISOs + a BSD-style *-CHECKSUM
    pub/fedora/linux/releases/N/Cloud/ARCH/images/           images + a GNU-style SHA256SUM
    pub/fedora/linux/updates/N/Everything/ARCH/              updates-released-fN (+ debug/, source/tree)
    pub/fedora/linux/updates/testing/N/Everything/ARCH/      updates-testing-fN (+ debug, source)
    pub/fedora/linux/development/rawhide/Everything/ARCH/os/ rawhide (+ debug/tree, source/tree)
    pub/epel/N/Everything/ARCH/                              epel-N (+ debug, source/tree)
    pub/epel/testing/N/Everything/ARCH/                      testing-epelN (+ debug, source)

Public API:

* :func:`generate_master_tree` -> :class:`MasterTree` (with every :class:`GeneratedRepository`
  and its expected prefix, arch and version);
* :func:`write_fullfiletimelist` (quick-fedora-mirror's list format) and
  :func:`write_checksum_file`;
* :func:`update_repository` (new metadata for one repository, replaced atomically);
* :func:`make_mirror` (a copy of the tree: full, with stale repositories, with repositories
  missing).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import random
import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import attrs

from mmcore.atomic import write_atomically

FEDORA = ("Fedora Linux", "Fedora", "pub/fedora/linux")
EPEL = ("Fedora EPEL", "EPEL", "pub/epel")

_SYLLABLES = ("ab", "bel", "cor", "dan", "el", "fir", "gan", "hum", "io", "jet", "kal", "lum",
              "mor", "nix", "op", "pra", "qui", "ros", "sal", "tor", "ul", "vex", "wir", "xen",
              "yal", "zed")
_DIRS = "abcdefghijklmnopqrstuvwxyz0123456789"


@attrs.frozen
class TreeSpec:
    """What to generate.  The defaults make a small tree (about 1,300 files) for tests."""

    fedora_releases: tuple[int, ...] = (39, 40)
    epel_releases: tuple[int, ...] = (9,)
    arches: tuple[str, ...] = ("x86_64", "aarch64")
    #: package files per repository (more than 10 makes the scanner keep a short list)
    packages_per_repo: int = 24
    #: ``Packages/<letter>/`` subdirectories per repository (1..36)
    package_dirs: int = 2
    debug: bool = True
    source: bool = True
    updates: bool = True
    testing: bool = True
    rawhide: bool = True
    epel: bool = True
    #: ISO and cloud image directories with checksum files
    images: bool = True
    seed: int = 0
    #: file times are spread over the 30 days before this
    base_time: int = 1_700_000_000


@attrs.frozen
class CategoryLayout:
    name: str
    product: str
    topdir: str


@attrs.frozen
class GeneratedRepository:
    """A generated yum repository and what the scanner should make of it."""

    #: directory holding ``repodata/``, relative to the tree root
    path: str
    category: str
    prefix: str
    arch: str
    version: str
    #: the newest ``<timestamp>`` in its repomd.xml
    timestamp: int


@attrs.frozen
class MasterTree:
    root: Path
    spec: TreeSpec
    categories: tuple[CategoryLayout, ...]
    repositories: tuple[GeneratedRepository, ...]
    directories: int
    files: int

    def repository(self, prefix: str, arch: str) -> GeneratedRepository:
        for repo in self.repositories:
            if repo.prefix == prefix and repo.arch == arch:
                return repo
        raise KeyError((prefix, arch))

    def category_path(self, name: str) -> Path:
        for category in self.categories:
            if category.name == name:
                return self.root / category.topdir
        raise KeyError(name)


# --------------------------------------------------------------------------------------------
# repository metadata
# --------------------------------------------------------------------------------------------


@attrs.frozen
class PackageFile:
    name: str
    version: str
    release: str
    arch: str
    #: relative to the repository directory
    location: str
    size: int
    sha256: str
    mtime: int


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _primary(packages: Sequence[PackageFile], timestamp: int) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/'
           'metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" '
           f'packages="{len(packages)}">\n']
    for p in packages:
        evr = f'epoch="0" ver="{p.version}" rel="{p.release}"'
        out.append(
            f'<package type="rpm">\n  <name>{_xml_escape(p.name)}</name>\n  <arch>{p.arch}</arch>\n'
            f'  <version {evr}/>\n  <checksum type="sha256" pkgid="YES">{p.sha256}</checksum>\n'
            f'  <summary>{_xml_escape(p.name)} test package</summary>\n'
            f'  <description>Generated for MirrorManager tests.</description>\n'
            f'  <packager>MirrorManager</packager>\n  <url>https://example.org/</url>\n'
            f'  <time file="{p.mtime}" build="{timestamp}"/>\n'
            f'  <size package="{p.size}" installed="{p.size}" archive="{p.size}"/>\n'
            f'  <location href="{_xml_escape(p.location)}"/>\n'
            f'  <format>\n    <rpm:license>MIT</rpm:license>\n    <rpm:vendor/>\n'
            f'    <rpm:group>Unspecified</rpm:group>\n    <rpm:buildhost>builder</rpm:buildhost>\n'
            f'    <rpm:sourcerpm>{_xml_escape(p.name)}-{p.version}-{p.release}.src.rpm'
            f'</rpm:sourcerpm>\n    <rpm:header-range start="0" end="0"/>\n'
            f'    <rpm:provides>\n      <rpm:entry name="{_xml_escape(p.name)}" flags="EQ" '
            f'{evr}/>\n    </rpm:provides>\n  </format>\n</package>\n'
        )
    out.append("</metadata>\n")
    return "".join(out).encode()


def _filelists(packages: Sequence[PackageFile]) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<filelists xmlns="http://linux.duke.edu/'
           f'metadata/filelists" packages="{len(packages)}">\n']
    for p in packages:
        out.append(
            f'<package pkgid="{p.sha256}" name="{_xml_escape(p.name)}" arch="{p.arch}">\n'
            f'  <version epoch="0" ver="{p.version}" rel="{p.release}"/>\n'
            f'  <file>/usr/share/doc/{_xml_escape(p.name)}/README</file>\n</package>\n'
        )
    out.append("</filelists>\n")
    return "".join(out).encode()


def _other(packages: Sequence[PackageFile]) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<otherdata xmlns="http://linux.duke.edu/'
           f'metadata/other" packages="{len(packages)}">\n']
    for p in packages:
        out.append(
            f'<package pkgid="{p.sha256}" name="{_xml_escape(p.name)}" arch="{p.arch}">\n'
            f'  <version epoch="0" ver="{p.version}" rel="{p.release}"/>\n</package>\n'
        )
    out.append("</otherdata>\n")
    return "".join(out).encode()


def write_repodata(repo_dir: Path, packages: Sequence[PackageFile], timestamp: int) -> bytes:
    """Write ``repo_dir/repodata`` for ``packages``; ``repomd.xml`` last and atomically, so a
    reader sees the old or the new repository.  Returns the repomd.xml bytes."""
    repodata = repo_dir / "repodata"
    repodata.mkdir(parents=True, exist_ok=True)
    entries = []
    keep = {"repomd.xml"}
    for kind, plain in (("primary", _primary(packages, timestamp)),
                        ("filelists", _filelists(packages)), ("other", _other(packages))):
        packed = _gzip(plain)
        digest = hashlib.sha256(packed).hexdigest()
        name = f"{digest}-{kind}.xml.gz"
        keep.add(name)
        (repodata / name).write_bytes(packed)
        os.utime(repodata / name, (timestamp, timestamp))
        entries.append(
            f'  <data type="{kind}">\n'
            f'    <checksum type="sha256">{digest}</checksum>\n'
            f'    <open-checksum type="sha256">{hashlib.sha256(plain).hexdigest()}'
            f'</open-checksum>\n'
            f'    <location href="repodata/{name}"/>\n'
            f'    <timestamp>{timestamp}</timestamp>\n'
            f'    <size>{len(packed)}</size>\n'
            f'    <open-size>{len(plain)}</open-size>\n'
            f'  </data>\n'
        )
    repomd = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<repomd xmlns="http://linux.duke.edu/metadata/repo" '
        'xmlns:rpm="http://linux.duke.edu/metadata/rpm">\n'
        f'  <revision>{timestamp}</revision>\n' + "".join(entries) + "</repomd>\n"
    ).encode()
    # remove metadata files of an earlier generation
    for old in repodata.iterdir():
        if old.name not in keep:
            old.unlink()
    write_atomically(repodata / "repomd.xml", repomd)
    os.utime(repodata / "repomd.xml", (timestamp, timestamp))
    return repomd


def read_packages(repo_dir: Path) -> list[PackageFile]:
    """The package files of a generated repository (for regenerating its metadata)."""
    packages = []
    for path in sorted((repo_dir / "Packages").rglob("*.rpm")):
        data = path.read_bytes()
        stem = path.name[:-4]
        name_version, _, arch = stem.rpartition(".")
        name, version, release = name_version.rsplit("-", 2)
        packages.append(PackageFile(
            name, version, release, arch, str(path.relative_to(repo_dir)), len(data),
            hashlib.sha256(data).hexdigest(), int(path.stat().st_mtime)))
    return packages


def update_repository(root: Path, repo_path: str, timestamp: int) -> bytes:
    """Give the repository at ``root/repo_path`` new metadata with ``timestamp`` (a new
    repomd.xml, replaced atomically).  Returns the new repomd.xml bytes."""
    repo_dir = Path(root) / repo_path
    return write_repodata(repo_dir, read_packages(repo_dir), timestamp)


# --------------------------------------------------------------------------------------------
# the tree
# --------------------------------------------------------------------------------------------


@attrs.define
class _Builder:
    root: Path
    spec: TreeSpec
    rng: random.Random
    repositories: list[GeneratedRepository] = attrs.field(factory=list)
    directories: set[str] = attrs.field(factory=set)
    files: int = 0

    def mkdir(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        rel = path.relative_to(self.root)
        for parent in (rel, *rel.parents):
            if str(parent) != ".":
                self.directories.add(str(parent))

    def write(self, path: Path, data: bytes, mtime: int) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        os.utime(path, (mtime, mtime))
        self.files += 1

    def file_time(self) -> int:
        return self.spec.base_time - self.rng.randrange(30 * 86400)

    def package_name(self, index: int) -> str:
        a = _SYLLABLES[index % 26]
        b = _SYLLABLES[(index // 26) % 26]
        return f"{a}{b}-{index}"

    def repository(self, category: str, rel: str, prefix: str, arch: str, version: str,
                   release: str) -> None:
        repo_dir = self.root / rel
        self.mkdir(repo_dir)
        rpm_arch = "src" if arch == "source" else arch
        packages = []
        dirs = max(1, min(self.spec.package_dirs, len(_DIRS)))
        suffix = "-debuginfo" if "/debug" in rel else ""
        for index in range(self.spec.packages_per_repo):
            name = self.package_name(index) + suffix
            letter = _DIRS[index % dirs]
            pkg_dir = repo_dir / "Packages" / letter
            if index < dirs:
                self.mkdir(pkg_dir)
            filename = f"{name}-1.{index % 7}-1.{release}.{rpm_arch}.rpm"
            size = 32 + self.rng.randrange(224)
            data = (hashlib.sha256(f"{rel}/{filename}".encode()).digest() * 8)[:size]
            mtime = self.file_time()
            self.write(pkg_dir / filename, data, mtime)
            packages.append(PackageFile(
                name, f"1.{index % 7}", f"1.{release}", rpm_arch,
                f"Packages/{letter}/{filename}", size, hashlib.sha256(data).hexdigest(), mtime))
        timestamp = self.spec.base_time - self.rng.randrange(86400)
        write_repodata(repo_dir, packages, timestamp)
        self.directories.add(f"{rel}/repodata")
        self.files += 4
        self.repositories.append(GeneratedRepository(rel, category, prefix, arch, version,
                                                     timestamp))

    def family(self, category: str, base: str, prefix: str, version: str, release: str,
               *, os_dir: bool, debug_dir: str, prefix_for: dict[str, str]) -> None:
        """One repository per arch, its debug variant and the source repository."""
        for arch in self.spec.arches:
            arch_dir = f"{base}/{arch}/os" if os_dir else f"{base}/{arch}"
            self.repository(category, arch_dir, prefix, arch, version, release)
            if self.spec.debug:
                self.repository(category, f"{base}/{arch}/{debug_dir}", prefix_for["debug"],
                                arch, version, release)
        if self.spec.source:
            self.repository(category, f"{base}/source/tree", prefix_for["source"], "source",
                            version, release)

    def images(self, rel: str, stem: str, style: str) -> None:
        directory = self.root / rel
        self.mkdir(directory)
        names = []
        for kind in ("dvd", "netinst"):
            name = f"{stem}-{kind}.iso"
            size = 1024 + self.rng.randrange(4096)
            data = (hashlib.sha256(f"{rel}/{name}".encode()).digest() * 200)[:size]
            self.write(directory / name, data, self.file_time())
            names.append(name)
        checksum_name = f"{stem}-CHECKSUM" if style == "bsd" else "SHA256SUM"
        write_checksum_file(directory, checksum_name, names, style=style)
        self.files += 1


def generate_master_tree(root: Path, spec: TreeSpec = TreeSpec()) -> MasterTree:
    """Create the tree under ``root`` (which may exist; generated paths are overwritten)."""
    root = Path(root)
    b = _Builder(root, spec, random.Random(spec.seed))
    b.mkdir(root / "pub")
    fedora = FEDORA[2]
    for n in spec.fedora_releases:
        v, rel = str(n), f"fc{n}"
        b.family(FEDORA[0], f"{fedora}/releases/{n}/Everything", f"fedora-{v}", v, rel,
                 os_dir=True, debug_dir="debug/tree",
                 prefix_for={"debug": f"fedora-debug-{v}", "source": f"fedora-source-{v}"})
        if spec.updates:
            b.family(FEDORA[0], f"{fedora}/updates/{n}/Everything", f"updates-released-f{v}", v,
                     rel, os_dir=False, debug_dir="debug",
                     prefix_for={"debug": f"updates-released-debug-f{v}",
                                 "source": f"updates-released-source-f{v}"})
        if spec.testing:
            b.family(FEDORA[0], f"{fedora}/updates/testing/{n}/Everything",
                     f"updates-testing-f{v}", v, rel, os_dir=False, debug_dir="debug",
                     prefix_for={"debug": f"updates-testing-debug-f{v}",
                                 "source": f"updates-testing-source-f{v}"})
        if spec.images:
            for arch in spec.arches:
                b.images(f"{fedora}/releases/{n}/Server/{arch}/iso", f"Fedora-Server-{n}-{arch}",
                         "bsd")
                b.images(f"{fedora}/releases/{n}/Cloud/{arch}/images",
                         f"Fedora-Cloud-{n}-{arch}", "gnu")
    if spec.rawhide:
        b.family(FEDORA[0], f"{fedora}/development/rawhide/Everything", "rawhide", "development",
                 "fc99", os_dir=True, debug_dir="debug/tree",
                 prefix_for={"debug": "rawhide-debug", "source": "rawhide-source"})
    categories = [CategoryLayout(*FEDORA)]
    if spec.epel and spec.epel_releases:
        categories.append(CategoryLayout(*EPEL))
        for n in spec.epel_releases:
            v, rel = str(n), f"el{n}"
            b.family(EPEL[0], f"pub/epel/{n}/Everything", f"epel-{v}", v, rel, os_dir=False,
                     debug_dir="debug",
                     prefix_for={"debug": f"epel-debug-{v}", "source": f"epel-source-{v}"})
            if spec.testing:
                b.family(EPEL[0], f"pub/epel/testing/{n}/Everything", f"testing-epel{v}", v, rel,
                         os_dir=False, debug_dir="debug",
                         prefix_for={"debug": f"testing-debug-epel{v}",
                                     "source": f"testing-source-epel{v}"})
    for category in categories:
        b.mkdir(root / category.topdir)
    return MasterTree(root, spec, tuple(categories), tuple(b.repositories),
                      len(b.directories), b.files)


# --------------------------------------------------------------------------------------------
# listing and checksum files
# --------------------------------------------------------------------------------------------


def write_checksum_file(directory: Path, name: str, files: Iterable[str], *,
                        style: str = "bsd") -> Path:
    """A sha256 checksum file of ``files`` (names in ``directory``): ``bsd`` style as Fedora's
    ``*-CHECKSUM`` (with a PGP-signed-message header, which readers must skip) or ``gnu`` style
    (``sha256sum`` output)."""
    lines = []
    if style == "bsd":
        lines += ["-----BEGIN PGP SIGNED MESSAGE-----", "Hash: SHA256", "",
                  "# generated by mirrormanager_devtools.mastertree"]
    for file_name in sorted(files):
        digest = hashlib.sha256((Path(directory) / file_name).read_bytes()).hexdigest()
        lines.append(f"SHA256 ({file_name}) = {digest}" if style == "bsd"
                     else f"{digest}  {file_name}")
    path = Path(directory) / name
    write_atomically(path, ("\n".join(lines) + "\n").encode())
    return path


def _walk_sorted(top: Path) -> Iterator[tuple[str, os.DirEntry[str] | None, os.stat_result]]:
    """(relative path, entry, lstat) in sorted pre-order, the top itself first as ``""``."""
    yield "", None, os.lstat(top)
    stack = [""]
    while stack:
        rel = stack.pop()
        with os.scandir(top / rel if rel else top) as iterator:
            entries = sorted(iterator, key=lambda e: e.name)
        subdirs = []
        for entry in entries:
            child = f"{rel}/{entry.name}" if rel else entry.name
            info = entry.stat(follow_symlinks=False)
            yield child, entry, info
            if entry.is_dir(follow_symlinks=False):
                subdirs.append(child)
        stack.extend(reversed(subdirs))


def write_fullfiletimelist(module_dir: Path, name: str | None = None) -> Path:
    """Write quick-fedora-mirror's ``fullfiletimelist-NAME`` describing ``module_dir``.

    Rows of the ``[Files]`` section: ``time<TAB>type<TAB>size<TAB>path`` (type ``d``, ``f`` or
    ``l``; paths relative to ``module_dir``); directories carry their ctime (the scanner's change
    token), files their mtime.  Ends with ``[End]``.  Written atomically; the list files
    themselves are not listed.
    """
    module_dir = Path(module_dir)
    name = name or f"fullfiletimelist-{module_dir.name}"
    out = ["[Version]\n3\n\n[Files]\n"]
    for rel, entry, info in _walk_sorted(module_dir):
        if entry is None:
            continue
        if entry.is_symlink():
            out.append(f"{int(info.st_mtime)}\tl\t{info.st_size}\t{rel}\n")
        elif entry.is_dir(follow_symlinks=False):
            out.append(f"{int(info.st_ctime)}\td\t{info.st_size}\t{rel}\n")
        elif entry.is_file(follow_symlinks=False):
            if entry.name.startswith(("fullfiletimelist-", "imagelist-")):
                continue
            out.append(f"{int(info.st_mtime)}\tf\t{info.st_size}\t{rel}\n")
    out.append("\n[End]\n")
    path = module_dir / name
    write_atomically(path, "".join(out).encode("utf-8", "surrogateescape"))
    return path


# --------------------------------------------------------------------------------------------
# mirrors
# --------------------------------------------------------------------------------------------


def make_mirror(
    master_root: Path,
    dest: Path,
    *,
    stale: Iterable[str] = (),
    missing: Iterable[str] = (),
    stale_by: int = 3 * 86400,
    hardlink: bool = False,
) -> Path:
    """Copy the master tree at ``master_root`` to ``dest`` as a mirror would hold it.

    :param stale: repository paths (relative to the root, as in
        :attr:`GeneratedRepository.path`) given older metadata: their repomd.xml differs from the
        master's and its timestamp is ``stale_by`` seconds older.
    :param missing: repository (or any) paths left out of the copy entirely.
    :param hardlink: link files instead of copying them (fast; safe because the generator and
        :func:`update_repository` replace files rather than modify them in place).
    :return: ``dest``.
    """
    master_root, dest = Path(master_root), Path(dest)
    skip = {p.strip("/") for p in missing}
    copy = os.link if hardlink else shutil.copy2

    def ignore(directory: str, names: list[str]) -> list[str]:
        rel = os.path.relpath(directory, master_root)
        rel = "" if rel == "." else rel
        return [n for n in names if (f"{rel}/{n}" if rel else n) in skip]

    shutil.copytree(master_root, dest, symlinks=True, ignore=ignore, copy_function=copy,
                    dirs_exist_ok=True)
    for repo_path in stale:
        repo_dir = dest / repo_path
        if not (repo_dir / "repodata" / "repomd.xml").exists():
            continue
        current = int((master_root / repo_path / "repodata" / "repomd.xml").stat().st_mtime)
        # hardlinked metadata must not be rewritten in place: write_repodata replaces files
        for old in (repo_dir / "repodata").iterdir():
            old.unlink()
        write_repodata(repo_dir, read_packages(repo_dir), current - stale_by)
    return dest
