"""Building the report from ``report_mirror.conf``, step for step as MirrorManager2's client.

The INI file (Python's ``configparser``, with its ``%`` interpolation)::

    [global]
    enabled = 1
    server = https://mirrormanager.example.org/xmlrpc

    [site]
    enabled = 1
    name = Example Site
    password = site password

    [host]
    enabled = 1
    name = mirror.example.org
    user_active = 1          ; optional: 0 takes the mirror out of the lists, 1 puts it back

    [Fedora Linux]           ; one section per category, named as MirrorManager names it
    enabled = 1
    path = /srv/mirror/fedora/linux

becomes ``{"version": 0, "global": {...}, "site": {...}, "host": {...}, "stats": {},
"fedora linux": {"enabled": "1", "dirtree": {"": {}, "releases": {}, ...}}}``: section names
lower-cased, every value a string (a value on several lines a list of its words), ``path``
replaced by ``dirtree``, the relative path of every directory below it.

Kept from MirrorManager2's client, so the payload is the same: a category section with
``enabled`` other than ``1`` is still reported (remove the section to stop reporting a
category); ``[stats]`` is never sent (always ``{}``).  Two differences, both where
MirrorManager2's client did harm: a category ``path`` that is not a directory is an error
(MirrorManager2 sent an empty tree, and the server then dropped every directory of the
category -- an unmounted disk took the mirror out of the lists); a blank line in the
``--exclude-from`` file is skipped (MirrorManager2 took it as a pattern matching every
directory).
"""

from __future__ import annotations

import base64
import bz2
import configparser
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PAYLOAD_VERSION = 0
SECTIONS = ("global", "site", "host")
REQUIRED = {
    "global": ("enabled", "server"),
    "site": ("enabled", "name", "password"),
    "host": ("enabled", "name"),
}
OPTIONAL = {"host": ("user_active",)}
NOT_CATEGORIES = frozenset({"global", "site", "host", "stats"})


class ReportError(Exception):
    """The configuration cannot be turned into a report; ``str()`` says why."""


def empty_report() -> dict[str, Any]:
    return {"version": PAYLOAD_VERSION, "global": {}, "site": {}, "host": {}, "stats": {}}


def read_excludes(path: str | os.PathLike[str]) -> list[str]:
    """Exclude patterns, one per line; ``#`` starts a comment line, blank lines are skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read the exclude file: {exc}") from None
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def walk_category(path: str, excludes: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """Every directory below ``path`` (``""`` for ``path`` itself), relative to it.

    A subdirectory is left out, with everything below it, when an exclude pattern is a
    substring of ``<parent>/<name>/``.  Unreadable directories are skipped (as ``os.walk``
    does).  Values are empty: MirrorManager's server never looked at file lists.
    """
    tree: dict[str, dict[str, Any]] = {}
    cut = len(path) if path.endswith("/") else len(path) + 1
    for dirpath, dirnames, _files in os.walk(path):
        if excludes:
            dirnames[:] = [
                name for name in dirnames
                if not any(pattern in os.path.join(dirpath, name, "") for pattern in excludes)
            ]
        tree[dirpath[cut:]] = {}
    return tree


def _value(text: str) -> str | list[str]:
    """A value on several lines is the list of its words (MirrorManager2's ``parse_value``)."""
    return text.split() if "\n" in text else text


def build_report(
    config_path: str | os.PathLike[str],
    *,
    excludes: Sequence[str] = (),
    base: dict[str, Any] | None = None,
    walk: bool = True,
) -> dict[str, Any]:
    """The report for ``config_path``.

    :param base: a report to start from (``--input``); its ``dirtree`` entries are kept.
    :param walk: walk each category's ``path`` (``False`` with ``--input``).
    :raises ReportError: no such file, INI syntax, a missing section or option, a disabled
        ``[global]``, ``[site]`` or ``[host]``.
    """
    parser = configparser.ConfigParser()
    try:
        found = parser.read(config_path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ReportError(f"{config_path}: {exc}") from None
    if not found:
        raise ReportError(f"configuration file {config_path} not found")
    report = base if base is not None else empty_report()
    try:
        for section in SECTIONS:
            if not parser.has_section(section):
                raise ReportError(f"{config_path}: invalid configuration: missing section "
                                  f"[{section}]")
            if not _read_section(parser, section, report, REQUIRED[section],
                                 OPTIONAL.get(section, ())):
                raise ReportError(f"{config_path}: section [{section}] is disabled "
                                  "(enabled is not 1): nothing to report")
        for section in parser.sections():
            if section in NOT_CATEGORIES:
                continue
            if _read_section(parser, section, report, ("enabled", "path")):
                key = section.lower()
                if walk:
                    path = parser.get(section, "path")
                    if not os.path.isdir(path):
                        # an empty tree would make the server drop every directory of the
                        # category (an unmounted disk): refuse instead
                        raise ReportError(f"{config_path}: [{section}] path {path} is not a "
                                          "directory; nothing sent")
                    report[key]["dirtree"] = walk_category(path, excludes)
                # the server has no use for the local path
                del report[key]["path"]
    except configparser.Error as exc:
        raise ReportError(f"{config_path}: {exc}") from None
    return report


def _read_section(
    parser: configparser.ConfigParser,
    section: str,
    report: dict[str, Any],
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> bool:
    """Copy a section's options into ``report[section.lower()]``; ``False`` when the section
    is disabled and already in the report (MirrorManager2's ``parse_section``: it removes it)."""
    key = section.lower()
    if parser.has_option(section, "enabled") and parser.get(section, "enabled") != "1" \
            and key in report:
        del report[key]
        return False
    for option in required:
        if not parser.has_option(section, option):
            raise ReportError(f"invalid configuration: missing required option {option} in "
                              f"[{section}]")
    entry = report.setdefault(key, {})
    for option in (*required, *(o for o in optional if parser.has_option(section, o))):
        entry[option] = _value(parser.get(section, option))
    return True


def payload_json(report: dict[str, Any]) -> str:
    """The report as report_mirror serialises it (``json.dumps`` defaults)."""
    return json.dumps(report)


def encode_report(report: dict[str, Any]) -> str:
    """The argument of ``checkin``: urlsafe base64 of bzip2 of the JSON."""
    return base64.urlsafe_b64encode(bz2.compress(payload_json(report).encode())).decode()
