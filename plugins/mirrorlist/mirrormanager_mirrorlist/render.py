"""Answer bodies: the text mirror list, the Metalink 3.0 document and the failure documents.

Layouts are upstream's byte for byte (see ``docs/mirrorlist-server.md``), with one deliberate
difference: URLs and file names in metalink documents are XML-escaped (upstream writes them raw,
so an ``&`` in a mirror URL produced a document no XML parser accepts).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

from mirrormanager_mirrorlist.cacheindex import FileDetail

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ATTR_ENTITIES = {'"': "&quot;"}

_http_date_cache: tuple[int, str] = (-1, "")


def http_date(now: float | None = None) -> str:
    """RFC 1123 date (``Thu, 21 May 2026 19:54:04 GMT``), independent of the locale."""
    global _http_date_cache
    second = int(time.time() if now is None else now)
    cached_second, text = _http_date_cache
    if cached_second == second:
        return text
    t = time.gmtime(second)
    text = (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )
    _http_date_cache = (second, text)
    return text


def metalink_opening(now: float | None = None) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<metalink version="3.0" xmlns="http://www.metalinker.org/" type="dynamic" '
        f'pubdate="{http_date(now)}" generator="mirrormanager" '
        'xmlns:mm0="http://fedorahosted.org/mirrormanager">\n'
    )


def metalink_failure(message: str, now: float | None = None) -> str:
    return f"{metalink_opening(now)}<!-- {message}\n-->\n</metalink>\n"


def _details(detail: FileDetail, indent: str) -> str:
    lines = []
    if detail.timestamp:
        lines.append(f"{indent}<mm0:timestamp>{detail.timestamp}</mm0:timestamp>\n")
    if detail.size:
        lines.append(f"{indent}<size>{detail.size}</size>\n")
    lines.append(f"{indent}<verification>\n")
    for kind, value in (
        ("md5", detail.md5),
        ("sha1", detail.sha1),
        ("sha256", detail.sha256),
        ("sha512", detail.sha512),
    ):
        if value:
            lines.append(f'{indent} <hash type="{kind}">{escape(value)}</hash>\n')
    lines.append(f"{indent}</verification>\n")
    return "".join(lines)


def metalink_file_head(filename: str, details: Sequence[FileDetail]) -> str:
    """``<file name=…>`` through ``<resources …>``: depends only on the file's details."""
    parts = [f'  <file name="{escape(filename, _ATTR_ENTITIES)}">\n', _details(details[0], "   ")]
    if len(details) > 1:
        parts.append("   <mm0:alternates>\n")
        for detail in details[1:]:
            parts.append("    <mm0:alternate>\n")
            parts.append(_details(detail, "      "))
            parts.append("    </mm0:alternate>\n")
        parts.append("   </mm0:alternates>\n")
    parts.append('   <resources maxconnections="1">\n')
    return "".join(parts)


def metalink_document(
    head: str,
    hosts_urls: Sequence[tuple[int, Sequence[str]]],
    *,
    host_country: Mapping[int, str],
    global_hosts: frozenset[int],
    now: float | None = None,
) -> str:
    parts = [metalink_opening(now), " <files>\n", head]
    preference = 100
    for host, urls in hosts_urls:
        location = escape(host_country.get(host, "").upper(), _ATTR_ENTITIES)
        private = "" if host in global_hosts else ' mm0:private="True"'
        for url in urls:
            protocol = escape(url.split(":", 1)[0], _ATTR_ENTITIES)
            parts.append(
                f'    <url protocol="{protocol}" type="{protocol}" location="{location}" '
                f'preference="{preference}"{private}>{escape(url)}</url>\n'
            )
        if preference > 1:
            preference -= 1
    parts.append(METALINK_TAIL)
    return "".join(parts)


#: the preference values of the first 100 hosts (the rest get 1)
PREFERENCES = tuple(str(100 - rank) for rank in range(100))
METALINK_TAIL = "   </resources>\n  </file>\n </files>\n</metalink>\n"


def trim_urls(
    hosts_urls: Sequence[tuple[int, Sequence[str]]], prefixes: tuple[str, ...], limit: int
) -> Sequence[tuple[int, Sequence[str]]]:
    """Keep per host up to ``limit`` URLs starting with one of ``prefixes``, hosts with none are
    dropped -- unless that leaves nothing at all, then the list is returned untrimmed."""
    trimmed: list[tuple[int, Sequence[str]]] = []
    for host, urls in hosts_urls:
        kept = [u for u in urls if u.startswith(prefixes)][:limit]
        if kept:
            trimmed.append((host, kept))
    return trimmed if trimmed else hosts_urls
