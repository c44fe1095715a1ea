"""Answer bodies: the text mirror list, the Metalink 3.0 document and the failure documents.

Layouts are upstream's byte for byte (see ``docs/mirrorlist-server.md``), with one deliberate
difference: URLs and file names in metalink documents are XML-escaped (upstream writes them raw,
so an ``&`` in a mirror URL produced a document no XML parser accepts), and so is the message of
a failure document (it may echo the request).

Metalink documents are built from per-host templates where they can be (:func:`metalink_for`):
a host's ``<url>`` lines are kept once per (host, public/private) as pieces around the
preference value, with a marker where the rest of the URL goes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from xml.sax.saxutils import escape

from mirrormanager_mirrorlist.cacheindex import METALINK_PLAIN, METALINK_SLASHED, CacheIndex
from mirrormanager_mirrorlist.httpmessages import http_date
from mirrormanager_mirrorlist.views import DirectoryView, FileDetail

_ATTR_ENTITIES = {'"': "&quot;"}
#: characters XML 1.0 does not allow (C0 controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def metalink_opening(now: float | None = None) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<metalink version="3.0" xmlns="http://www.metalinker.org/" type="dynamic" '
        f'pubdate="{http_date(now)}" generator="mirrormanager" '
        'xmlns:mm0="http://fedorahosted.org/mirrormanager">\n'
    )


def metalink_failure(message: str, now: float | None = None) -> str:
    """Upstream's failure document: the message in an XML comment.  The message may echo the
    request (a path, a repo name), so it is made a valid comment whatever it holds: ``--``
    (which would end the comment, or make the document invalid) becomes ``- -``, and
    characters XML does not allow become U+FFFD."""
    return f"{metalink_opening(now)}<!-- {xml_comment_text(message)}\n-->\n</metalink>\n"


def xml_comment_text(text: str) -> str:
    """``text`` as the content of an XML comment (see :func:`metalink_failure`)."""
    text = _NOT_XML.sub("\ufffd", text)
    while "--" in text:
        text = text.replace("--", "- -")
    return text


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


def metalink_for(
    index: CacheIndex,
    view: DirectoryView,
    filename: str,
    details: Sequence[FileDetail],
    hosts: Iterable[int],
    now: float | None = None,
) -> str:
    """The metalink document of ``filename`` for ``hosts`` in this order (all URLs of each
    host; hosts without URLs here are left out)."""
    opening = metalink_opening(now)
    head = metalink_head(view, filename, details)
    blocks = metalink_blocks(index, view)
    rests = metalink_rests(view, filename)
    if blocks is None or rests is None:
        hosts_urls = index.host_urls(view, hosts, filename)
        return metalink_document(head, hosts_urls, host_country=index.host_country,
                                 global_hosts=view.global_set, now=now)
    parts = []
    preferences = PREFERENCES
    rank = 0
    get = blocks.get
    for host in hosts:
        pieces = get(host)
        if pieces is not None:
            parts.append((preferences[rank] if rank < 100 else "1").join(pieces))
            rank += 1
    urls = "".join(parts).replace(METALINK_SLASHED, rests[0]).replace(METALINK_PLAIN, rests[1])
    return f"{opening} <files>\n{head}{urls}{METALINK_TAIL}"


def metalink_head(view: DirectoryView, filename: str, details: Sequence[FileDetail]) -> str:
    """The file's head (:func:`metalink_file_head`), kept in the view."""
    head = view.metalink_heads.get(filename)
    if head is None:
        head = view.metalink_heads[filename] = metalink_file_head(filename, details)
    return head


def metalink_rests(view: DirectoryView, filename: str) -> tuple[str, str] | None:
    """What follows a base URL in the URLs of ``filename`` (escaped), after a base that ends
    in ``/`` and after one that does not; ``None`` if that text holds a template marker."""
    prefix = view.file_prefix
    if prefix:
        rest = escape(prefix + filename if prefix.endswith("/") else prefix + "/" + filename)
        rests = (rest, rest)
    else:
        rests = (escape(filename), escape("/" + filename))
    if any(METALINK_SLASHED in r or METALINK_PLAIN in r for r in rests):
        return None
    return rests


def metalink_blocks(index: CacheIndex, view: DirectoryView) -> dict[int, tuple[str, ...]] | None:
    """host -> its metalink template (shared between directories and files) for this
    directory, built for every host on first use; ``None`` when some host's lines cannot be
    templated."""
    blocks = view.metalink_blocks
    if blocks is None:
        blocks = {}
        public = view.global_set
        for host, ids in view.by_host.items():
            template = index.metalink_template(host, ids, host in public)
            if template is None:
                return None
            blocks[host] = template
        view.metalink_blocks = blocks
        index.views.grow(view, len(blocks))
    return blocks
