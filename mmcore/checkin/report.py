"""What a decoded report says, checked the way MirrorManager2 checks it, with its messages.

A report is the configuration dict report_mirror builds from its INI file::

    {"version": 0,
     "global": {"enabled": "1", "server": "https://.../xmlrpc"},
     "site": {"enabled": "1", "name": "...", "password": "..."},
     "host": {"enabled": "1", "name": "...", "user_active": "1"},   # user_active optional
     "stats": {},
     "fedora linux": {"enabled": "1", "dirtree": {"": {}, "releases": {}, ...}},
     ...}

Every key other than ``version``, ``global``, ``site``, ``host`` and ``stats`` is a category
(lower-cased name).  MirrorManager2's checks run first, in its order and with its messages;
then the checks it lacked (types, which a hostile report can get wrong where report_mirror
never does), in the same style.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from mmcore.checkin.payload import PayloadError

NOT_CATEGORIES = frozenset({"global", "site", "host", "version", "stats"})
#: ``[host] user_active`` values that mean true (anything else means false), as MirrorManager2
TRUE_VALUES = frozenset({"true", "1", "t", "y", "yes"})

INVALID_SUFFIX = "Invalid config file provided, please check your report_mirror.conf."


class InvalidReport(Exception):
    """The report fails validation; ``message`` holds MirrorManager2's message lines."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@attrs.frozen
class CategoryReport:
    #: the report's key (report_mirror lower-cases the category name)
    key: str
    #: the directories, relative to the category's top directory, ``/`` stripped from both
    #: ends, in the report's order
    paths: tuple[str, ...]


@attrs.frozen
class CheckinReport:
    site_name: str
    password: str = attrs.field(repr=False)
    host_name: str
    #: ``[host] user_active`` read as MirrorManager2 does; ``None`` when the report has none
    user_active: bool | None
    categories: tuple[CategoryReport, ...]

    @property
    def directory_count(self) -> int:
        return sum(len(c.paths) for c in self.categories)


def read_report(config: Any, *, max_directories: int) -> CheckinReport:
    """Validate a decoded report and extract what the check-in uses.

    :raises InvalidReport: MirrorManager2's validation failed (the message is for the client).
    :raises PayloadError: the report lists more than ``max_directories`` directories.
    """
    _validate_like_mm2(config)
    site, host = config["site"], config["host"]
    for section, value in (("global", config["global"]), ("site", site), ("host", host)):
        if not isinstance(value, Mapping):
            raise InvalidReport(f"config file section [{section}] is not a section.\n")
    for section, option in (("site", "name"), ("site", "password"), ("host", "name")):
        if not isinstance(config[section][option], str):
            raise InvalidReport(f"config file [{section}] option {option} is not a string.\n")
    user_active = None
    if "user_active" in host:
        user_active = host["user_active"] in TRUE_VALUES if _hashable(host["user_active"]) else False
    categories = []
    total = 0
    for key, section in config.items():
        if key in NOT_CATEGORIES:
            continue
        tree = section["dirtree"]
        if not isinstance(tree, Mapping):
            raise InvalidReport(f"section [{key}] option dirtree is not a directory tree.\n")
        total += len(tree)
        if total > max_directories:
            raise PayloadError(
                f"report lists more than {max_directories} directories "
                "(the [checkin] max_directories limit)"
            )
        categories.append(CategoryReport(key, tuple(path.strip("/") for path in tree)))
    return CheckinReport(
        site_name=site["name"],
        password=site["password"],
        host_name=host["name"],
        user_active=user_active,
        categories=tuple(categories),
    )


def _hashable(value: object) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def _shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _validate_like_mm2(config: Any) -> None:
    """MirrorManager2's ``validate_config``: same checks, same order, same messages."""
    if not isinstance(config, dict):
        raise InvalidReport(
            "config file is not a dict.\nPlease update your copy of report_mirror.\n"
        )
    if "version" not in config:
        raise InvalidReport("config file has no version field.\n")
    version = config["version"]
    if not _hashable(version) or version != 0:
        raise InvalidReport(f"config file version is not 0, is {_shown(version)}.\n")
    for section in ("global", "site", "host"):
        if section not in config:
            raise InvalidReport(f"config file missing section {section}.\n")
    globl = config["global"]
    if not isinstance(globl, Mapping) or globl.get("enabled") != "1":
        raise InvalidReport("config file section [global] not enabled.\n")
    site = config["site"]
    for option in ("name", "password"):
        if not isinstance(site, Mapping) or option not in site:
            raise InvalidReport(f"config file [site] missing required option {option}.\n")
    host = config["host"]
    if not isinstance(host, Mapping) or "name" not in host:
        raise InvalidReport("section [host] missing required option name.\n")
    for key, section in config.items():
        if key in NOT_CATEGORIES:
            continue
        if not isinstance(section, Mapping) or "dirtree" not in section:
            raise InvalidReport(f"section [{key}] missing required option dirtree.\n")
