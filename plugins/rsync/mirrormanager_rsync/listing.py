"""Parser of ``rsync --list-only -r`` output.

One line per entry, as rsync prints it::

    drwxr-xr-x          4,096 2024/03/01 12:00:00 pub/fedora
    -rw-r--r--         12,345 2024/03/01 12:00:00 pub/fedora/README
    lrwxrwxrwx             11 2024/03/01 12:00:00 pub/fedora/latest -> releases/40

* the permission string (type character + 9 mode characters, sometimes followed by an ACL/xattr
  marker), the size (digit groups separated by ``,`` or ``.`` depending on rsync's locale and
  ``--human-readable`` level; ``1.23M``-style sizes are accepted approximately), the modification
  date and time, then the path after exactly one space;
* symbolic links may carry `` -> target``;
* rsync escapes unprintable bytes in names as ``\\#ooo`` (three octal digits); they are decoded;
* ``.`` (the listed directory itself) is reported with the path ``""``.

Times are printed by rsync in the *client's* local time zone.  Run rsync with ``TZ=UTC`` and parse
with ``utc=True`` (the default) to get exact epoch seconds; ``utc=False`` interprets them in this
process's local time zone like MirrorManager2 did.

Anything else (MOTD lines, ``receiving incremental file list``, warnings, truncated lines) is not
an entry: it is skipped and reported to ``on_bad_line`` (logged at debug level by default).  The
parser never raises on bad input.
"""

from __future__ import annotations

import calendar
import enum
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator

import attrs

log = logging.getLogger(__name__)


class EntryType(enum.Enum):
    DIR = "dir"
    FILE = "file"
    SYMLINK = "symlink"
    #: devices, fifos, sockets
    OTHER = "other"


_TYPE_BY_CHAR = {
    "d": EntryType.DIR,
    "-": EntryType.FILE,
    "l": EntryType.SYMLINK,
    "c": EntryType.OTHER,
    "b": EntryType.OTHER,
    "p": EntryType.OTHER,
    "s": EntryType.OTHER,
}


@attrs.frozen
class ListingEntry:
    """One entry of a listing."""

    type: EntryType
    #: the 10-character mode string, e.g. ``drwxr-xr-x``
    perms: str
    size: int
    #: modification time, epoch seconds
    mtime: int
    #: path relative to the listed directory, ``""`` for the directory itself; no leading or
    #: trailing slash
    path: str
    #: symlink target when rsync printed one
    target: str | None = None

    @property
    def world_readable(self) -> bool:
        """Others may read it (and, for a directory, enter it): MirrorManager2's ``r.x`` test for
        directories, ``r`` for files."""
        if self.type is EntryType.DIR:
            return self.perms[7] == "r" and self.perms[9] in "xt"
        return self.perms[7] == "r"

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]

    @property
    def parent(self) -> str:
        """The directory holding this entry (``""`` for top-level entries and for the root)."""
        return self.path.rpartition("/")[0]


_LINE = re.compile(
    r"""
    ^(?P<perms>[-dlcbps][-rwxsStT]{9})[.+@]?   # type + mode, optional ACL/xattr mark
    \s+(?P<size>\d[\d,.]*[KMGTP]?)             # size
    \s(?P<date>\d{4}/\d\d/\d\d)                # YYYY/MM/DD
    \s(?P<time>\d\d:\d\d:\d\d)                 # HH:MM:SS
    \s(?P<path>.+)$                            # path (may contain spaces)
    """,
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\#([0-7]{3})")
_UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5}

BadLineHandler = Callable[[int, str], None]


def _log_bad_line(line_number: int, line: str) -> None:
    log.debug("rsync listing: skipped line=%d text=%r", line_number, line[:200])


def _parse_size(text: str) -> int | None:
    unit = 1
    if text[-1] in _UNITS:
        unit = _UNITS[text[-1]]
        text = text[:-1]
        # human-readable: "1.23" with a decimal point
        try:
            return int(float(text.replace(",", "")) * unit)
        except ValueError:
            return None
    digits = text.replace(",", "").replace(".", "")
    return int(digits) if digits.isdigit() else None


def _parse_time(date: str, clock: str, utc: bool) -> int | None:
    try:
        fields = (
            int(date[0:4]), int(date[5:7]), int(date[8:10]),
            int(clock[0:2]), int(clock[3:5]), int(clock[6:8]),
        )
    except ValueError:
        return None
    year, month, day, hour, minute, second = fields
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 62):
        return None
    struct = (year, month, day, hour, minute, second, 0, 0, -1)
    if utc:
        return calendar.timegm(struct)
    return int(time.mktime(struct))


def _unescape(path: str) -> str:
    if "\\#" not in path:
        return path
    raw = _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), path)
    # rsync escapes raw bytes; re-decode them as UTF-8 where they form valid sequences
    try:
        return raw.encode("latin-1", "surrogateescape").decode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return raw


def _normalise(path: str) -> str | None:
    path = path.strip("/")
    if path == ".":
        return ""
    if path.startswith("./"):
        path = path[2:]
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    return path


def parse_line(line: str, *, utc: bool = True) -> ListingEntry | None:
    """One entry, or ``None`` when ``line`` is not a listing line."""
    line = line.rstrip("\r\n")
    match = _LINE.match(line)
    if match is None:
        return None
    perms = match["perms"]
    entry_type = _TYPE_BY_CHAR[perms[0]]
    size = _parse_size(match["size"])
    mtime = _parse_time(match["date"], match["time"], utc)
    if size is None or mtime is None:
        return None
    raw_path = match["path"]
    target = None
    if entry_type is EntryType.SYMLINK and " -> " in raw_path:
        raw_path, _, raw_target = raw_path.partition(" -> ")
        target = _unescape(raw_target)
    path = _normalise(_unescape(raw_path))
    if path is None or (path == "" and entry_type is not EntryType.DIR):
        return None
    return ListingEntry(entry_type, perms, size, mtime, path, target)


def parse_listing(
    lines: Iterable[str | bytes],
    *,
    utc: bool = True,
    on_bad_line: BadLineHandler | None = None,
) -> Iterator[ListingEntry]:
    """Stream the entries of an ``rsync --list-only`` output, in the order given.

    :param lines: text lines (``str``, or ``bytes`` decoded as UTF-8 with ``surrogateescape``);
        e.g. an open file or a subprocess's stdout split into lines.
    :param utc: the listing's times are UTC (rsync ran with ``TZ=UTC``); ``False``: local time.
    :param on_bad_line: called with ``(line_number, line)`` for every line that is not an entry
        (1-based numbers); blank lines are ignored silently.
    """
    report = on_bad_line or _log_bad_line
    for number, line in enumerate(lines, 1):
        if isinstance(line, bytes):
            line = line.decode("utf-8", "surrogateescape")
        if not line.strip():
            continue
        entry = parse_line(line, utc=utc)
        if entry is None:
            report(number, line.rstrip("\r\n"))
            continue
        yield entry
