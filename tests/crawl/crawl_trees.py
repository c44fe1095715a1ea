"""Small master trees and mirror copies of them, for the crawler tests.

The master holds two yum repositories under the category top directory ``pub/fedora/linux``:
``releases/40/Everything/x86_64/os`` and ``updates/40/Everything/x86_64``.  Mirror copies:

* ``full``: an exact copy (up to date everywhere);
* ``stale``: the updates repository is an older one (other package, other repomd.xml);
* ``stale_same_size``: the updates repomd.xml differs from the master's in content only (only a
  checksum catches it);
* ``missing_repo``: the updates repository is absent.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from mmcore.crawl.protocol import DirectoryExpectation, ExpectedFile

TOPDIR = "pub/fedora/linux"
RELEASE = "releases/40/Everything/x86_64/os"
UPDATES = "updates/40/Everything/x86_64"


def _repomd(revision: int, primary_sha: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<repomd xmlns="http://linux.duke.edu/metadata/repo">\n'
        f"  <revision>{revision}</revision>\n"
        '  <data type="primary">\n'
        f'    <checksum type="sha256">{primary_sha}</checksum>\n'
        '    <location href="repodata/primary.xml.gz"/>\n'
        "  </data>\n"
        "</repomd>\n"
    ).encode()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _repo(root: Path, repo: str, packages: dict[str, bytes], revision: int) -> None:
    primary = b"primary:" + ",".join(sorted(packages)).encode() * 3
    for name, body in packages.items():
        _write(root / repo / "Packages" / name[0] / name, body)
    _write(root / repo / "repodata" / "primary.xml.gz", primary)
    _write(root / repo / "repodata" / "repomd.xml", _repomd(revision, hashlib.sha256(primary).hexdigest()))


def build_master(root: Path) -> Path:
    """The master's category top directory (``root/pub/fedora/linux``)."""
    top = root / TOPDIR
    _write(top / "README", b"Fedora mirror test tree\n")
    _write(top / RELEASE / ".treeinfo", b"[general]\nname = Fedora 40\n")
    _repo(top, RELEASE, {"a-1.0-1.x86_64.rpm": b"A" * 300, "bash-5.2-1.x86_64.rpm": b"B" * 700}, 1000)
    _repo(top, UPDATES, {"c-2.0-1.x86_64.rpm": b"C" * 500}, 2000)
    return top


def build_mirror(master_top: Path, dest_top: Path, kind: str) -> Path:
    """A copy of the master's top directory at ``dest_top`` of the given kind."""
    shutil.copytree(master_top, dest_top, dirs_exist_ok=False)
    if kind == "full":
        pass
    elif kind == "stale":
        shutil.rmtree(dest_top / UPDATES)
        _repo(dest_top, UPDATES, {"c-1.9-10.x86_64.rpm": b"c" * 450}, 1500)
    elif kind == "stale_same_size":
        repomd = dest_top / UPDATES / "repodata" / "repomd.xml"
        data = repomd.read_bytes()
        repomd.write_bytes(data.replace(b"<revision>2000<", b"<revision>1999<"))
    elif kind == "missing_repo":
        shutil.rmtree(dest_top / "updates")
    else:
        raise ValueError(kind)
    return dest_top


def expectations(master_top: Path) -> list[DirectoryExpectation]:
    """What the scanner would record for the master: every directory with its files' sizes and
    the sha256 of each repodata/repomd.xml; ids in path order starting at 1."""
    directories = sorted([master_top, *(p for p in master_top.rglob("*") if p.is_dir())])
    result = []
    for number, directory in enumerate(directories, 1):
        relative = "" if directory == master_top else str(directory.relative_to(master_top))
        files = tuple(
            ExpectedFile(p.name, p.stat().st_size)
            for p in sorted(directory.iterdir())
            if p.is_file()
        )
        repomd = directory / "repomd.xml"
        sha = hashlib.sha256(repomd.read_bytes()).hexdigest() if directory.name == "repodata" and repomd.exists() else None
        result.append(DirectoryExpectation(number, relative, True, files, sha))
    return result


def expected_verdicts(kind: str, directories: list[DirectoryExpectation], checksums: bool) -> dict[str, bool]:
    """path -> up to date, for a mirror copy of ``kind`` checked by a protocol that compares
    checksums (HTTP) or only sizes (rsync, FTP)."""
    result = {}
    for directory in directories:
        path = directory.path
        in_updates = path == "updates" or path.startswith("updates/")
        if kind == "full":
            ok = True
        elif kind == "missing_repo":
            ok = not in_updates
        elif kind == "stale":
            # the old updates tree has other packages and other repodata; directories that
            # still exist but hold none of the master's files differ
            ok = path not in (UPDATES + "/Packages/c", UPDATES + "/repodata")
        elif kind == "stale_same_size":
            ok = not (checksums and path == UPDATES + "/repodata")
        else:
            raise ValueError(kind)
        result[path] = ok
    return result


def expected_hcds(kind: str, directories: list[DirectoryExpectation], checksums: bool) -> dict[str, bool]:
    """What the engine records: the protocol's verdicts, with a repository directory following
    its ``repodata`` (see ``stale_metadata_marks_repository``)."""
    verdicts = expected_verdicts(kind, directories, checksums)
    stale = {p.rpartition("/")[0] for p, ok in verdicts.items() if p.endswith("/repodata") and not ok}
    return {p: ok and p not in stale for p, ok in verdicts.items()}
