"""Repository prefixes (the ``repo=`` names dnf asks for), version and arch guessing.

The prefix of a repository directory is chosen by a *table* of :class:`RepositoryRule`: the first
rule whose categories include the repository's category and whose ``match`` is found in the
directory's path (relative to the category's top directory) gives the prefix by filling in its
template.  Nothing here is code per distribution: a distribution adds rows through the
``[[umdl.repository_rule]]`` config or the ``mm_repository_rules`` hook, and those are consulted
before the built-in table below, which reproduces MirrorManager2's prefixes for Fedora Linux,
Fedora Secondary Arches, Fedora Archive, Fedora EPEL, Fedora Codecs, RPM Fusion, CentOS and RHEL.

Template fields: ``{version}`` (the guessed version name), ``{arch}``, ``{debug}`` (``-debug`` when
the path has a ``debug`` component, else empty), ``{source}`` (``-source`` for ``source``/``SRPMS``
paths), ``{variant}`` (``debug-``/``source-`` or empty, for prefixes that put it in the middle) and
the named groups of ``match``.  An empty template means "no prefix".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import attrs

ANY_CATEGORY = "*"


@attrs.frozen
class RepositoryRule:
    categories: tuple[str, ...]
    match: re.Pattern[str]
    template: str
    unless: re.Pattern[str] | None = None

    @classmethod
    def of(
        cls, categories: Iterable[str], match: str, template: str, unless: str = ""
    ) -> RepositoryRule:
        return cls(
            tuple(categories), re.compile(match), template, re.compile(unless) if unless else None
        )

    def applies(self, category: str) -> bool:
        return ANY_CATEGORY in self.categories or category in self.categories


@attrs.frozen
class PrefixDecision:
    """``prefix`` ``None``: a repository without a prefix; ``rule`` ``None``: no rule matched."""

    prefix: str | None
    rule: RepositoryRule | None


def _flags(path: str) -> dict[str, str]:
    parts = path.split("/")
    debug = "debug" in parts
    source = "source" in parts or "SRPMS" in parts
    return {
        "debug": "-debug" if debug else "",
        "source": "-source" if source else "",
        "variant": "debug-" if debug else ("source-" if source else ""),
    }


def choose_prefix(
    rules: Sequence[RepositoryRule], category: str, path: str, version: str, arch: str
) -> PrefixDecision:
    """The prefix of the repository at ``path`` (relative to the category's top directory)."""
    probe = "/" + path.strip("/") + "/"
    for rule in rules:
        if not rule.applies(category):
            continue
        match = rule.match.search(probe)
        if match is None or (rule.unless is not None and rule.unless.search(probe)):
            continue
        if not rule.template:
            return PrefixDecision(None, rule)
        fields = {"version": version, "arch": arch, **_flags(path)}
        fields.update({k: v for k, v in match.groupdict().items() if v is not None})
        return PrefixDecision(rule.template.format(**fields), rule)
    return PrefixDecision(None, None)


# --------------------------------------------------------------------------------------------
# the built-in table
# --------------------------------------------------------------------------------------------

FEDORA = ("Fedora Linux", "Fedora Secondary Arches", "Fedora Archive")
EPEL = ("Fedora EPEL",)
CODECS = ("Fedora Codecs",)
RPMFUSION_EL = ("RPMFUSION free EL", "RPMFUSION nonfree EL")
RPMFUSION_FEDORA = ("RPMFUSION free Fedora", "RPMFUSION nonfree Fedora")
CENTOS = ("CentOS",)
RHEL = ("RHEL",)

#: (categories, match, template[, unless]); paths are probed as ``/relative/path/``
_BUILTIN: tuple[tuple[tuple[str, ...], str, str, str], ...] = (
    # MirrorManager2: no prefix for anything under a "test/" directory (pre-releases)
    (FEDORA + EPEL, r"/test/", "", ""),
    # --- Fedora Linux, Secondary, Archive -----------------------------------------------------
    (FEDORA, r"/atomic/", "atomic-{version}", ""),
    (FEDORA, r"/development/rawhide/", "rawhide{debug}{source}", ""),
    (FEDORA, r"/rawhide/", "rawhide{debug}{source}", ""),
    (FEDORA, r"/development/(?P<dev>\d+)/(Everything/)?", "fedora{debug}{source}-{dev}",
     r"/Modular/"),
    (FEDORA, r"/development/(?P<dev>\d+)/Modular/", "fedora-modular{debug}{source}-{dev}", ""),
    (FEDORA, r"/updates/testing/.*/Modular/", "updates-testing-modular{debug}{source}-f{version}",
     ""),
    (FEDORA, r"/updates/testing/", "updates-testing{debug}{source}-f{version}", ""),
    (FEDORA, r"/updates/.*/Modular/", "updates-released-modular{debug}{source}-f{version}", ""),
    (FEDORA, r"/updates/", "updates-released{debug}{source}-f{version}", ""),
    (FEDORA, r"/releases/.*/Modular/", "fedora-modular{debug}{source}-{version}", ""),
    (FEDORA, r"/releases/.*/Everything/", "fedora{debug}{source}-{version}", ""),
    (FEDORA, r"/releases/[^/]+/Fedora/", "fedora-install-{version}", ""),
    (FEDORA, r"/releases/", "fedora{debug}{source}-{version}", ""),
    # --- EPEL ---------------------------------------------------------------------------------
    (EPEL, r"/playground/", "playground{debug}{source}-epel{version}", ""),
    (EPEL, r"/testing/.*/Modular/", "testing-modular{debug}{source}-epel{version}", ""),
    (EPEL, r"/testing/", "testing{debug}{source}-epel{version}", ""),
    (EPEL, r"/Modular/", "epel-modular{debug}{source}-{version}", ""),
    (EPEL, r"/", "epel{debug}{source}-{version}", ""),
    # --- Fedora Codecs (OpenH264) ---------------------------------------------------------------
    (CODECS, r"/", "fedora-cisco-openh264{debug}-{version}", ""),
    # --- RPM Fusion -----------------------------------------------------------------------------
    (("RPMFUSION free EL",), r"/updates/testing/",
     "free-el-updates-testing{debug}{source}-{version}", ""),
    (("RPMFUSION free EL",), r"/updates/", "free-el-updates-released{debug}{source}-{version}", ""),
    (("RPMFUSION free EL",), r"/", "free-el{debug}{source}-{version}", ""),
    (("RPMFUSION nonfree EL",), r"/updates/testing/",
     "nonfree-el-updates-testing{debug}{source}-{version}", ""),
    (("RPMFUSION nonfree EL",), r"/updates/",
     "nonfree-el-updates-released{debug}{source}-{version}", ""),
    (("RPMFUSION nonfree EL",), r"/", "nonfree-el{debug}{source}-{version}", ""),
    (("RPMFUSION free Fedora",), r"/development/rawhide/", "free-fedora-rawhide{debug}{source}",
     ""),
    (("RPMFUSION free Fedora",), r"/updates/testing/",
     "free-fedora-updates-testing{debug}{source}-{version}", ""),
    (("RPMFUSION free Fedora",), r"/updates/",
     "free-fedora-updates-released{debug}{source}-{version}", ""),
    (("RPMFUSION free Fedora",), r"/", "free-fedora{debug}{source}-{version}", ""),
    (("RPMFUSION nonfree Fedora",), r"/development/rawhide/",
     "nonfree-fedora-rawhide{debug}{source}", ""),
    (("RPMFUSION nonfree Fedora",), r"/updates/testing/",
     "nonfree-fedora-updates-testing{debug}{source}-{version}", ""),
    (("RPMFUSION nonfree Fedora",), r"/updates/",
     "nonfree-fedora-updates-released{debug}{source}-{version}", ""),
    (("RPMFUSION nonfree Fedora",), r"/", "nonfree-fedora{debug}{source}-{version}", ""),
    # --- CentOS: the first repository kind present as a path component ------------------------
    *(
        (CENTOS, rf"/{kind}/", f"{kind}-{{version}}", "")
        for kind in ("os", "updates", "extras", "centosplus", "contrib", "fasttrack", "cr",
                     "addons", "xen4")
    ),
    # --- RHEL -------------------------------------------------------------------------------------
    (RHEL, r"/beta/.*/(?i:highavailability)/", "rhel-{version}-highavailability-beta", ""),
    (RHEL, r"/(?i:highavailability)/", "rhel-{version}-highavailability", ""),
    (RHEL, r"/beta/.*/optional/", "rhel-optional-{version}-beta", ""),
    (RHEL, r"/optional/", "rhel-optional-{version}", ""),
    (RHEL, r"/beta/", "rhel-{version}-beta", ""),
    (RHEL, r"/", "rhel-{version}", ""),
)

BUILTIN_RULES: tuple[RepositoryRule, ...] = tuple(
    RepositoryRule.of(categories, match, template, unless)
    for categories, match, template, unless in _BUILTIN
)


# --------------------------------------------------------------------------------------------
# version and arch guessing (MirrorManager2's rules)
# --------------------------------------------------------------------------------------------

_FEDORA_VERSION = re.compile(r"/(([.\d]+)([-_]\w+)?)/")
_DEBIAN_VERSION = re.compile(r"dists/(\w+)/")
_DEVELOPMENT_VERSION = re.compile(r"development/(\d+)/")


@attrs.frozen
class VersionGuess:
    name: str
    is_test: bool
    #: the version already exists in the database
    existing: bool


def guess_arch(path: str, arches: Sequence[str]) -> str | None:
    """``source`` for SRPMS trees, else the first known arch that is a whole path component."""
    parts = path.split("/")
    if "SRPMS" in parts and "source" in arches:
        return "source"
    for arch in arches:
        if arch in parts:
            return arch
    return None


def guess_version(path: str, known_versions: Sequence[str]) -> VersionGuess | None:
    """The version a repository at ``path`` (full directory name) belongs to.

    :param known_versions: the product's versions, newest first; one that is a whole path
        component wins; else a Debian ``dists/NAME/``, a Fedora-style numeric component
        (``/40/``, ``/8.5/``, ``/9_beta/``), or ``development`` for rawhide.
    """
    parts = path.split("/")
    is_test = "test" in parts or "stage" in parts
    development = _DEVELOPMENT_VERSION.search(path + "/")
    if development and development.group(1) in known_versions:
        return VersionGuess(development.group(1), is_test, True)
    for name in known_versions:
        if name in parts:
            return VersionGuess(name, is_test, True)
    probe = "/" + path + "/"
    match = _DEBIAN_VERSION.search(probe) or _FEDORA_VERSION.search(probe)
    if match is not None:
        return VersionGuess(match.group(1), is_test, False)
    if "rawhide" in parts:
        return VersionGuess("development", is_test, "development" in known_versions)
    return None
