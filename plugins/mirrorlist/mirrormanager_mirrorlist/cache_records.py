"""The records of the ``protobuf`` cache file, hand-encoded: pure functions of their inputs.

Each function returns the exact bytes ``SerializeToString`` gives for that element of
``mirrormanager.MirrorList`` (fields in number order, proto2 unpacked repeated scalars), which
the tests check by parsing and re-serialising.  The rules of what goes into them are the
spec's (``mirrorlist.md`` section 5.2).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator

import attrs

from mmcore.cache import CacheFileDetail, CacheHost, CacheHostCategory
from mirrormanager_mirrorlist import mirrormanager_pb2 as pb
from mirrormanager_mirrorlist import varint
from mirrormanager_mirrorlist.wire import WIRE_LEN, int_field, len_field, str_field, tag

MIN_BANDWIDTH = 1
MAX_BANDWIDTH = 10_000
#: ``host.bandwidth_int`` default in MirrorManager2, used when the column is NULL
DEFAULT_BANDWIDTH = 100
DEFAULT_MAX_CONNECTIONS = 1

# MirrorList field numbers (proto/mirrormanager.proto)
F_TIME = 1
F_NETBLOCK_COUNTRY = 2
F_HCURL = 4
F_FILE_DETAILS = 5
F_DISABLED_REPOSITORY = 6
F_COUNTRY_CONTINENT_REDIRECT = 7
F_REPOSITORY_REDIRECT = 8
F_REPO_ARCH_TO_DIRECTORY = 9
F_HOST_ASN = 10
F_HOST_MAX_CONNECTION = 11
F_HOST_COUNTRY = 12
F_HOST_BANDWIDTH = 13
F_HOST_COUNTRY_ALLOWED = 14
F_HOST_NETBLOCK = 15
F_MIRRORLIST_CACHE = 16
#: this project's extension (proto/mirrormanager.proto): URL id -> address-family bits
F_HCURL_FAMILY = 100
# MirrorListCacheType field numbers
F_DIRECTORY = 1
F_GLOBAL = 2
F_SUBPATH = 3
F_BY_COUNTRY = 4
F_BY_COUNTRY_INTERNET2 = 5
F_BY_HOST_ID = 6
# key/value map messages
F_KEY = 1
F_VALUE = 2


# --------------------------------------------------------------------------------------------
# pure building blocks (tested on their own)
# --------------------------------------------------------------------------------------------


def clamp_bandwidth(bandwidth: int | None) -> int:
    """``host.bandwidth_int`` as a shuffle weight: NULL -> 100, then clamped to 1..10000."""
    value = DEFAULT_BANDWIDTH if bandwidth is None else bandwidth
    return max(MIN_BANDWIDTH, min(MAX_BANDWIDTH, value))


def subpath(directory_name: str, topdir_name: str) -> str:
    """The directory name relative to its category's top directory (upstream's byte rule).

    With a top directory of L bytes: a longer name with ``/`` at byte L loses L+1 bytes, any
    other name loses L bytes (nothing is left of a name shorter than L).
    """
    name = directory_name.encode("utf-8")
    top_length = len(topdir_name.encode("utf-8"))
    if top_length > 0 and len(name) > top_length and name[top_length : top_length + 1] == b"/":
        cut = top_length + 1
    else:
        cut = top_length
    return name[cut:].decode("utf-8", errors="replace")


def string_string(field: int, key: str, value: str) -> bytes:
    return len_field(field, str_field(F_KEY, key) + str_field(F_VALUE, value))


def int_int(field: int, key: int, value: int) -> bytes:
    return len_field(field, int_field(F_KEY, key) + int_field(F_VALUE, value))


def int_string(field: int, key: int, value: str) -> bytes:
    return len_field(field, int_field(F_KEY, key) + str_field(F_VALUE, value))


def int_ints(field: int, key: int, values: Iterable[int]) -> bytes:
    return len_field(field, int_field(F_KEY, key) + b"".join(int_field(F_VALUE, v) for v in values))


def int_strings(field: int, key: int, values: Iterable[str]) -> bytes:
    return len_field(field, int_field(F_KEY, key) + b"".join(str_field(F_VALUE, v) for v in values))


def string_ints(field: int, key: str, values: Iterable[int]) -> bytes:
    return len_field(field, str_field(F_KEY, key) + b"".join(int_field(F_VALUE, v) for v in values))


def string_bool(field: int, key: str, value: bool) -> bytes:
    return len_field(field, str_field(F_KEY, key) + int_field(F_VALUE, int(value)))


def upper(country: str | None) -> str | None:
    return None if country is None else country.upper()


@attrs.frozen
class HostCategoryFragment:
    """What one host category contributes to every directory record it appears in."""

    host_id: int
    global_bytes: bytes  # Global entry (empty for private hosts)
    by_host_id: bytes  # ByHostId entry (empty without public URLs)
    country: str | None  # upper-cased, for ByCountry (None for private hosts)
    internet2_country: str | None  # for ByCountryInternet2
    #: the host id as one ``value`` of a ByCountry entry
    value_bytes: bytes = attrs.field(init=False)

    @value_bytes.default
    def _value_bytes(self) -> bytes:
        return int_field(F_VALUE, self.host_id)


def host_category_fragment(
    hc: CacheHostCategory, host: CacheHost | None, url_ids: list[int]
) -> HostCategoryFragment | None:
    """The §5.2 rules for one (active) host category; ``None`` when its host is not served."""
    if hc.host_id is None or host is None or not host.active:
        return None
    by_host_id = int_ints(F_BY_HOST_ID, host.id, url_ids) if url_ids else b""
    country = upper(host.country)
    if host.is_private and not host.internet2_clients:
        return HostCategoryFragment(host.id, b"", by_host_id, None, None)
    internet2_country = country if host.internet2 else None
    if host.is_private:
        return HostCategoryFragment(host.id, b"", by_host_id, None, internet2_country)
    return HostCategoryFragment(
        host.id, int_field(F_GLOBAL, host.id), by_host_id, country, internet2_country
    )


def host_set_parts(fragments: Iterable[HostCategoryFragment]) -> tuple[bytes, bytes]:
    """The encoded fields a set of host categories gives a directory record: ``Global`` (field
    2), and ``ByCountry``, ``ByCountryInternet2`` and ``ByHostId`` (fields 4-6) together.

    Element order follows ``fragments``; country keys are sorted.  (Written out: it runs once
    per distinct set, a few hundred thousand country groups at Fedora scale.)
    """
    frs = list(fragments)
    by_country: dict[str, list[bytes]] = {}
    by_internet2: dict[str, list[bytes]] = {}
    for fragment in frs:
        if fragment.country is not None:
            by_country.setdefault(fragment.country, []).append(fragment.value_bytes)
        if fragment.internet2_country is not None:
            by_internet2.setdefault(fragment.internet2_country, []).append(fragment.value_bytes)
    pieces = _country_groups(TAG_BY_COUNTRY, by_country)
    if by_internet2:
        pieces += _country_groups(TAG_BY_COUNTRY_INTERNET2, by_internet2)
    pieces += [f.by_host_id for f in frs]
    return b"".join([f.global_bytes for f in frs]), b"".join(pieces)


TAG_BY_COUNTRY = tag(F_BY_COUNTRY, WIRE_LEN)
TAG_BY_COUNTRY_INTERNET2 = tag(F_BY_COUNTRY_INTERNET2, WIRE_LEN)


@functools.cache
def _country_key(country: str) -> bytes:
    return str_field(F_KEY, country)


def _country_groups(field_tag: bytes, groups: dict[str, list[bytes]]) -> list[bytes]:
    """One ``key``/``value``-list message per country, in country order."""
    encode = varint.encode
    out = []
    for country in sorted(groups):
        body = _country_key(country) + b"".join(groups[country])
        out.append(field_tag + encode(len(body)) + body)
    return out


#: the tag of a ``MirrorListCache`` element and of its ``directory`` and ``Subpath`` fields
TAG_MIRRORLIST_CACHE = tag(F_MIRRORLIST_CACHE, WIRE_LEN)
TAG_DIRECTORY = tag(F_DIRECTORY, WIRE_LEN)
TAG_SUBPATH = tag(F_SUBPATH, WIRE_LEN)


def directory_record(directory_name: str, sub_path: str, parts: tuple[bytes, bytes]) -> bytes:
    """One ``MirrorListCache`` element (field 16 of ``MirrorList``), encoded; ``parts`` from
    :func:`host_set_parts`.  (Written out: it runs once per directory.)"""
    global_bytes, tail = parts
    name = directory_name.encode("utf-8")
    sub = sub_path.encode("utf-8")
    name_length = varint.encode(len(name))
    sub_length = varint.encode(len(sub))
    size = (
        2 + len(name_length) + len(name) + len(global_bytes) + len(sub_length) + len(sub)
        + len(tail)
    )
    return b"".join(
        (
            TAG_MIRRORLIST_CACHE, varint.encode(size), TAG_DIRECTORY, name_length, name,
            global_bytes, TAG_SUBPATH, sub_length, sub, tail,
        )
    )


def file_details_record(directory_name: str, rows: list[CacheFileDetail]) -> bytes:
    """One ``FileDetailsCache`` element: files by name, each file's details newest first."""
    by_file: dict[str, list[CacheFileDetail]] = defaultdict(list)
    for row in rows:
        by_file[row[2]].append(row)
    message = pb.FileDetailsCacheDirectoryType(directory=directory_name)
    for filename in sorted(by_file):
        entry = message.FileDetailsCacheFiles.add(filename=filename)
        # stable: equal timestamps keep row (id) order
        for row in sorted(by_file[filename], key=lambda r: -(r[3] or 0)):
            _, _, _, timestamp, size, sha1, md5, sha256, sha512 = row
            detail = entry.FileDetails.add(TimeStamp=max(0, timestamp or 0), Size=max(0, size or 0))
            if sha1 is not None:
                detail.SHA1 = sha1
            if md5 is not None:
                detail.MD5 = md5
            if sha256 is not None:
                detail.SHA256 = sha256
            if sha512 is not None:
                detail.SHA512 = sha512
    return len_field(F_FILE_DETAILS, message.SerializeToString())


def group_by_first(rows: Iterable[tuple]) -> Iterator[tuple[object, list[tuple]]]:
    """Consecutive rows with the same first element, as ``(key, rows)``."""
    current: object = None
    batch: list[tuple] = []
    for row in rows:
        if batch and row[0] != current:
            yield current, batch
            batch = []
        current = row[0]
        batch.append(row)
    if batch:
        yield current, batch
