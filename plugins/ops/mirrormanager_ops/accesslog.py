"""Reading the list server's access log (``mirrorlist.md`` section 6.3) into per-day counts.

One line per repo/arch request::

    IP: 192.0.2.7; DATE: 2024-04-25; COUNTRY: DE; REPO: fedora-40; ARCH: x86_64

Streaming and fast: the (possibly gzip- or xz-compressed) file is read in blocks; one regular
expression finds the well-formed lines of a whole block in C, and a ``Counter`` counts their
``DATE ... ARCH`` tails (the client address is not kept).  The tails are few (days x countries x
repositories x arches), so they are only parsed once each -- and when they are not few (a log full
of garbage), the counter is folded into the per-day totals and emptied, so memory stays flat.

Anything else is garbage: counted, skipped, never fatal.  A truncated or corrupt compressed
file is fatal: :class:`AccessLogError` names the file and how far it was read.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
import attrs

from mmcore.ops.store import AccessLogImport

from .compressed import READ_ERRORS, open_decompressed, read_error_reason

BLOCK = 4 << 20
#: distinct line tails held before they are folded into the totals
FOLD_AT = 200_000

#: a line, found after the newline before it (a literal the engine searches for quickly;
#: the text searched starts with a newline): its DATE ... ARCH tail
_LINE = re.compile(rb"\nIP: [^;\n]*; (DATE: [^\n]*)")
_TAIL = re.compile(
    r"DATE: (\d{4}-\d\d-\d\d); COUNTRY: ([A-Za-z/-]{2,3}); REPO: (.*); ARCH: ([^\s;]*)"
)
_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")


class AccessLogError(Exception):
    """The file cannot be read to its end (truncated, corrupt); nothing of it was used."""


@attrs.define
class DayCounts:
    """Per-day totals of the three statistics categories, built from line tails."""

    embargoed: frozenset[str]
    counts: dict[datetime.date, dict[str, Counter[str]]] = attrs.field(factory=dict)
    garbage: int = 0

    def add(self, tails: Counter[bytes]) -> None:
        for raw, requests in tails.items():
            parsed = self._parse(raw)
            if parsed is None:
                self.garbage += requests
                continue
            day, country, repo, arch = parsed
            by_category = self.counts.get(day)
            if by_category is None:
                by_category = self.counts[day] = {
                    "countries": Counter(), "archs": Counter(), "repositories": Counter()
                }
            by_category["countries"][country] += requests
            by_category["archs"][arch] += requests
            by_category["repositories"][repo] += requests

    def _parse(self, raw: bytes) -> tuple[datetime.date, str, str, str] | None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
        match = _TAIL.fullmatch(text.rstrip("\r"))
        if match is None:
            return None
        date, country, repo, arch = match.groups()
        if not (_PRINTABLE.match(repo) and _PRINTABLE.match(arch)):
            return None
        try:
            day = datetime.date.fromisoformat(date)
        except ValueError:
            return None
        # MirrorManager2 keeps two characters ("N/A" -> "N/") and files embargoed countries
        # under "N/" too
        country = country[:2].upper()
        if country in self.embargoed:
            country = "N/"
        return day, country, repo, arch


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
    totals = DayCounts(frozenset(c.upper() for c in embargoed))
    tails: Counter[bytes] = Counter()
    digest = hashlib.sha256()
    lines = 0
    #: well-formed lines already folded into the totals
    matched = 0
    read = 0
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
                    continue
                data = rest + block[: cut + 1]
                rest = block[cut + 1 :]
                lines += data.count(b"\n")
                tails.update(_LINE.findall(b"\n" + data))
                if len(tails) > FOLD_AT:
                    matched += sum(tails.values())
                    totals.add(tails)
                    tails.clear()
                if progress is not None:
                    progress(read)
    except READ_ERRORS as exc:
        raise AccessLogError(
            f"{path}: cannot read past byte {read} of the log ({read_error_reason(exc)}); "
            "nothing of it was imported"
        ) from None
    if rest:
        lines += 1
        tails.update(_LINE.findall(b"\n" + rest))
    matched += sum(tails.values())
    totals.add(tails)
    return AccessLogImport(
        digest=digest.hexdigest(),
        source=str(path),
        lines=lines,
        # lines the line pattern rejected, and well-formed lines with bad fields
        garbage=lines - matched + totals.garbage,
        counts={
            day: {name: dict(counter) for name, counter in by_category.items()}
            for day, by_category in totals.counts.items()
        },
    )
