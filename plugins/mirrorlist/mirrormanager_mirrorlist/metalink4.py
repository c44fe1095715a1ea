"""Metalink 4 (RFC 5854, ``application/metalink4+xml``) answers, and the ``Repr-Digest`` header
(RFC 9530) of metalink answers.

A ``/metalink`` request gets Metalink 4 instead of upstream's Metalink 3.0 when it says ``v=4``
or its ``Accept`` header names ``application/metalink4+xml`` (with a non-zero ``q``).  The
document carries what the 3.0 one carries: the newest size and hashes of the file (hash names
from the IANA registry: ``md5``, ``sha-1``, ``sha-256``, ``sha-512``), the older versions in the
``mm0:alternates`` extension element (dnf reads them to accept a repomd.xml one push behind), the
file's ``mm0:timestamp``, and every URL of every host with its country as ``location`` and its
rank as ``priority``: ``priority = 101 - preference`` of the 3.0 document (1 for the first host,
100 from the hundredth on), private hosts marked ``mm0:private``.  Failures stay the 3.0 failure
documents (a Metalink 4 document must describe at least one file).

``Repr-Digest`` goes on every metalink answer (3.0 and 4) whose file has a SHA-256 or SHA-512:
it gives the digests of the *file the document describes* (the repomd.xml), not of the document,
so a client can check the file it fetches from a mirror without parsing the XML.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

from mirrormanager_mirrorlist.views import FileDetail

METALINK4 = "application/metalink4+xml"
NAMESPACE = "urn:ietf:params:xml:ns:metalink"
MM0 = "http://fedorahosted.org/mirrormanager"
#: FileDetail field -> IANA hash function textual name (as RFC 5854 uses them)
HASHES = (("md5", "md5"), ("sha1", "sha-1"), ("sha256", "sha-256"), ("sha512", "sha-512"))
_ATTR = {'"': "&quot;"}


def wants_metalink4(params: Mapping[str, str], accept: str | None) -> bool:
    """``v=4``, or an ``Accept`` header naming ``application/metalink4+xml`` with ``q`` > 0."""
    if params.get("v") == "4":
        return True
    if accept is None or METALINK4 not in accept:
        return False
    for item in accept.split(","):
        media, *attributes = (part.strip() for part in item.split(";"))
        if media.lower() != METALINK4:
            continue
        for attribute in attributes:
            name, _, value = attribute.partition("=")
            if name.strip().lower() == "q":
                try:
                    return float(value) > 0
                except ValueError:
                    return False
        return True
    return False


def rfc3339(now: float | None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))


def _hashes(detail: FileDetail, tag: str, indent: str) -> list[str]:
    lines = []
    for field, name in HASHES:
        value = getattr(detail, field)
        if value:
            lines.append(f'{indent}<{tag} type="{name}">{escape(value)}</{tag}>\n')
    return lines


def metalink4_document(
    filename: str,
    details: Sequence[FileDetail],
    hosts_urls: Sequence[tuple[int, Sequence[str]]],
    *,
    host_country: Mapping[int, str],
    global_hosts: frozenset[int],
    now: float | None = None,
) -> str:
    """The Metalink 4 document of ``filename``: ``details`` newest first, ``hosts_urls`` in
    answer order."""
    newest = details[0]
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<metalink xmlns="{NAMESPACE}" xmlns:mm0="{MM0}">\n',
        " <generator>mirrormanager</generator>\n",
        f" <published>{rfc3339(now)}</published>\n",
        f' <file name="{escape(filename, _ATTR)}">\n',
    ]
    if newest.timestamp:
        parts.append(f"  <mm0:timestamp>{newest.timestamp}</mm0:timestamp>\n")
    if newest.size:
        parts.append(f"  <size>{newest.size}</size>\n")
    parts += _hashes(newest, "hash", "  ")
    if len(details) > 1:
        parts.append("  <mm0:alternates>\n")
        for detail in details[1:]:
            parts.append("   <mm0:alternate>\n")
            if detail.timestamp:
                parts.append(f"    <mm0:timestamp>{detail.timestamp}</mm0:timestamp>\n")
            if detail.size:
                parts.append(f"    <mm0:size>{detail.size}</mm0:size>\n")
            parts += _hashes(detail, "mm0:hash", "    ")
            parts.append("   </mm0:alternate>\n")
        parts.append("  </mm0:alternates>\n")
    priority = 1
    for host, urls in hosts_urls:
        country = host_country.get(host, "").lower()
        location = f' location="{escape(country, _ATTR)}"' if len(country) == 2 else ""
        private = "" if host in global_hosts else ' mm0:private="True"'
        for url in urls:
            parts.append(f'  <url{location} priority="{priority}"{private}>{escape(url)}</url>\n')
        if priority < 100:
            priority += 1
    parts.append(" </file>\n</metalink>\n")
    return "".join(parts)


def repr_digest(detail: FileDetail) -> str | None:
    """The ``Repr-Digest`` value (RFC 9530) for the file's SHA-256 and SHA-512, ``None`` when
    it has neither (or they are not hex)."""
    fields = []
    for name, value in (("sha-256", detail.sha256), ("sha-512", detail.sha512)):
        if value:
            try:
                raw = binascii.unhexlify(value)
            except (binascii.Error, ValueError):
                continue
            fields.append(f"{name}=:{base64.b64encode(raw).decode('ascii')}:")
    return ", ".join(fields) or None
