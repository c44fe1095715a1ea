"""Reading the list server's access log (``mirrorlist.md`` section 6.3) into per-day counts.

One line per repo/arch request::

    IP: 192.0.2.7; DATE: 2024-04-25; COUNTRY: DE; REPO: fedora-40; ARCH: x86_64

Streaming and fast: the (possibly compressed) file is read in blocks; one regular expression
finds and checks every line of a whole block in C, and ``Counter`` counts each field of the
matches in C -- per day, but a block holds one day almost always, so the day is checked once per
block and the fields are counted on their own (a block spanning midnight is counted by
``(day, field)``).  Nothing per distinct combination of fields is kept, so time and memory do not
grow with how varied the log is; the client address is never kept.

Anything else is garbage: counted, skipped, never fatal.  A truncated or corrupt compressed
file is fatal: :class:`AccessLogError` names the file and how far it was read.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from operator import itemgetter
from pathlib import Path

import attrs

from mmcore.ops.store import AccessLogImport

from .compressed import READ_ERRORS, open_decompressed, read_error_reason

BLOCK = 1 << 20
#: a longer line is garbage; only a stub of it is kept until its end is found
MAX_LINE = 64 << 10

#: a well-formed line, found after the newline before it (a literal the engine searches for
#: quickly; the text searched starts with a newline), with its four fields
_LINE = re.compile(
    rb"\nIP: [^;\n]*; DATE: (\d{4}-\d\d-\d\d); COUNTRY: ([A-Za-z/-]{2,3}); "
    rb"REPO: ([!-:<-~]+); ARCH: ([!-:<-~]+)\r?(?=\n)"
)
_DAY, _COUNTRY, _REPO, _ARCH = (itemgetter(i) for i in range(4))
#: statistics category -> the match group counted in it
_FIELDS = (("countries", _COUNTRY), ("repositories", _REPO), ("archs", _ARCH))


class AccessLogError(Exception):
    """The file cannot be read to its end (truncated, corrupt); nothing of it was used."""


@attrs.define
class DayCounts:
    """Per-day, per-category request counts, by the raw bytes of each field."""

    counts: dict[bytes, dict[str, Counter[bytes]]] = attrs.field(factory=dict)

    def _day(self, day: bytes) -> dict[str, Counter[bytes]]:
        found = self.counts.get(day)
        if found is None:
            found = self.counts[day] = {name: Counter() for name, _ in _FIELDS}
        return found

    def add(self, matches: list[tuple[bytes, bytes, bytes, bytes]]) -> None:
        if not matches:
            return
        first = matches[0][0]
        if matches[-1][0] == first and all(day == first for day in map(_DAY, matches)):
            by_category = self._day(first)
            for name, field in _FIELDS:
                by_category[name].update(map(field, matches))
            return
        for name, field in _FIELDS:  # the block spans days
            for (day, value), requests in Counter(
                    (m[0], field(m)) for m in matches).items():
                self._day(day)[name][value] += requests

    def result(self, embargoed: frozenset[str]) -> tuple[dict[datetime.date, dict[str, dict[str,
                                                                                         int]]],
                                                         int]:
        """The counts by calendar day and text, and the lines whose day is not a date."""
        result: dict[datetime.date, dict[str, dict[str, int]]] = {}
        bad = 0
        for raw_day, by_category in self.counts.items():
            try:
                day = datetime.date.fromisoformat(raw_day.decode("ascii"))
            except ValueError:
                bad += sum(by_category["archs"].values())
                continue
            countries: Counter[str] = Counter()
            for raw, requests in by_category["countries"].items():
                # MirrorManager2 keeps two characters ("N/A" -> "N/") and files embargoed
                # countries under "N/" too
                country = raw[:2].decode("ascii").upper()
                countries["N/" if country in embargoed else country] += requests
            result[day] = {
                "countries": dict(countries),
                "repositories": {k.decode("ascii"): v
                                 for k, v in by_category["repositories"].items()},
                "archs": {k.decode("ascii"): v for k, v in by_category["archs"].items()},
            }
        return result, bad


def read_access_log(
    path: Path,
    *,
    embargoed: Iterable[str] = (),
    progress: Callable[[int], None] | None = None,
) -> AccessLogImport:
    """Count ``path``'s requests per day, country, arch and repository.

    :param progress: called with the number of decompressed bytes read so far, once per block.
    :raises AccessLogError: the file is truncated or corrupt (message: file and offset).
    """
    totals = DayCounts()
    digest = hashlib.sha256()
    lines = matched = read = 0
    rest = b""
    try:
        with open_decompressed(path) as stream:
            while True:
                block = stream.read(BLOCK)
                if not block:
                    break
                read += len(block)
                digest.update(block)
                cut = block.rfind(b"\n")
                if cut < 0:
                    rest += block
                    if len(rest) > MAX_LINE:
                        rest = b"-"  # cannot match: the line counts as garbage
                    continue
                data = rest + block[: cut + 1]
                rest = block[cut + 1 :]
                lines += data.count(b"\n")
                found = _LINE.findall(b"\n" + data)
                matched += len(found)
                totals.add(found)
                if progress is not None:
                    progress(read)
    except READ_ERRORS as exc:
        raise AccessLogError(
            f"{path}: cannot read past byte {read} of the log ({read_error_reason(exc)}); "
            "nothing of it was imported"
        ) from None
    if rest:
        lines += 1
        found = _LINE.findall(b"\n" + rest + b"\n")
        matched += len(found)
        totals.add(found)
    counts, bad_days = totals.result(frozenset(c.upper() for c in embargoed))
    return AccessLogImport(
        digest=digest.hexdigest(),
        source=str(path),
        lines=lines,
        # lines the pattern rejected, and lines whose day is not a date
        garbage=lines - matched + bad_days,
        counts=counts,
    )
