"""The ``[umdl]`` configuration section.

.. code-block:: toml

    [umdl]
    prefix = "/srv/"                  # MirrorManager2's UMDL_PREFIX (see MasterDirectory)
    max_stale_days = 4
    skip_paths_for_version = ["pub/alt"]

    [[umdl.master]]
    category = "Fedora Linux"
    product = "Fedora"
    topdir = "pub/fedora/linux"
    source = "directory"              # directory | fullfiletimelist | rsync | file
    path = "/srv/pub/fedora/linux"
    excludes = []

    [[umdl.repository_rule]]          # extra prefix rules, consulted before the built-in table
    categories = ["My Distro"]
    match = "(^|/)stable/(?P<version>\\d+)/"
    prefix = "mydistro{debug}{source}-{version}"
"""

from __future__ import annotations

import re

import attrs


#: always skipped, as MirrorManager2 did (NetApp snapshots, rsync temporary directories)
STANDARD_EXCLUDES: tuple[str, ...] = (r".*\.snapshot", r".*/\.~tmp~")


@attrs.frozen
class MasterDirectory:
    """One ``[[umdl.master]]`` entry: a category scanned from the master tree."""

    #: the category's name; created (with ``product``) when missing
    category: str = ""
    #: the category's product; created when missing
    product: str = ""
    #: the category's top directory as stored in ``directory.name`` (no leading slash). Empty:
    #: ``path`` with ``[umdl] prefix`` removed
    topdir: str = ""
    #: ``directory``, ``fullfiletimelist``, ``rsync``, ``file``
    source: str = "directory"
    #: directory and fullfiletimelist sources: the category's top directory on disk. Empty:
    #: ``[umdl] prefix`` + ``topdir``.  The file source may set it to read repomd.xml and checksum
    #: files from a local copy
    path: str = ""
    #: rsync source: ``rsync://host/module/dir`` or a local directory; file source: the file
    #: holding a saved ``rsync --list-only -r`` listing
    url: str = ""
    #: regular expressions; a directory whose path (relative to the top, with a leading ``/``)
    #: matches is skipped with its subtree
    excludes: tuple[str, ...] = ()
    #: fullfiletimelist source: the list file. Empty: the first ``fullfiletimelist-*`` found in
    #: ``path`` or its nearest parent directory having one (its paths are relative to where it is)
    fullfiletimelist: str = ""

    def resolved_topdir(self, prefix: str) -> str:
        if self.topdir:
            return self.topdir.strip("/")
        path = self.path
        if prefix and path.startswith(prefix):
            path = path[len(prefix):]
        return path.strip("/")

    def resolved_path(self, prefix: str) -> str:
        if self.path:
            return self.path
        return prefix + self.resolved_topdir(prefix) if prefix else ""

    def check(self) -> list[str]:
        """What is wrong with this entry (empty when usable)."""
        problems = []
        if not self.category:
            problems.append("category is required")
        if self.source in ("rsync", "file") and not self.url:
            problems.append(f"source {self.source!r} needs url")
        for pattern in self.excludes:
            try:
                re.compile(pattern)
            except re.error as exc:
                problems.append(f"excludes: bad regular expression {pattern!r}: {exc}")
        return problems


@attrs.frozen
class RepositoryRuleConfig:
    """A repository prefix rule (see :mod:`mmcore.scan.repomap`)."""

    #: category names the rule applies to; ``["*"]`` for every category
    categories: tuple[str, ...] = ("*",)
    #: regular expression searched in the repository directory's path relative to the top
    match: str = ""
    #: regular expression that, when it matches, makes the rule not apply
    unless: str = ""
    #: template: ``{version}``, ``{arch}``, ``{debug}`` (``-debug`` or empty), ``{source}``
    #: (``-source`` or empty) and the named groups of ``match``; empty: no prefix (the directory
    #: is recorded as a repository nobody can ask for, as MirrorManager2 does for test trees)
    prefix: str = ""


@attrs.frozen
class UmdlConfig:
    """The ``[umdl]`` section."""

    master: tuple[MasterDirectory, ...] = ()
    #: MirrorManager2's UMDL_PREFIX: removed from ``path`` to get a topdir, prepended to a topdir
    #: to get a path
    prefix: str = ""
    #: file_detail history kept (MirrorManager2's MAX_STALE_DAYS)
    max_stale_days: int = 4
    #: no repositories are created under these directory names
    skip_paths_for_version: tuple[str, ...] = ("pub/alt",)
    #: no repositories for paths containing one of these components
    skip_repository_dirs: tuple[str, ...] = ("Cloud", "Workstation", "Server")
    #: applied to every master in addition to its own ``excludes``
    excludes: tuple[str, ...] = STANDARD_EXCLUDES
    #: extra repository prefix rules, consulted before those of plugins and the built-in table
    repository_rule: tuple[RepositoryRuleConfig, ...] = ()
    #: directories handed to the database per batch
    batch_size: int = 500
    #: metadata files (repomd.xml, checksum files) larger than this are not read
    max_metadata_bytes: int = 16 * 1024 * 1024
