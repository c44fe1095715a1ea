"""``exclude=host.name,...``: the client drops mirrors from this one answer.

A name matches a host when one of the host's base URLs (any directory, any protocol) names that
host (case-insensitive, without port or user); the whole host is then left out of the answer,
in every tier.  Unknown names are ignored.  The parameter is capped (:data:`MAX_NAMES` names,
:data:`MAX_BYTES` characters): more is answered with an error.

The exclusion works on a copy of the directory's view without the excluded hosts
(:func:`without_hosts`), so the selection and the renderers run unchanged on it, and the plain
path (no ``exclude=``) is not touched at all.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection, Mapping
from urllib.parse import urlsplit

from mirrormanager_mirrorlist.cacheindex import CacheIndex
from mirrormanager_mirrorlist.targets import Failure
from mirrormanager_mirrorlist.views import DirectoryView

MAX_NAMES = 32
MAX_BYTES = 2048
TOO_LONG = f"exclude= takes at most {MAX_NAMES} host names and {MAX_BYTES} characters"

#: per cache generation: host name -> the ids of the base URLs that name it
_names_by_index: weakref.WeakKeyDictionary[CacheIndex, dict[str, frozenset[int]]] = (
    weakref.WeakKeyDictionary()
)


def url_host(url: str) -> str:
    """The host name of a base URL, lower-case ("" when it has none)."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def url_ids_by_name(index: CacheIndex) -> dict[str, frozenset[int]]:
    """host name -> ids of the ``HCUrlCache`` URLs on it (built once per generation)."""
    found = _names_by_index.get(index)
    if found is None:
        gathered: dict[str, set[int]] = {}
        for url_id, url in index.hcurls.items():
            gathered.setdefault(url_host(url), set()).add(url_id)
        found = {name: frozenset(ids) for name, ids in gathered.items() if name}
        _names_by_index[index] = found
    return found


def excluded_names(value: str) -> list[str] | Failure:
    """The names of an ``exclude=`` value (``,`` or ``%2C`` between them), lower-case, or the
    error answer when it passes the cap."""
    if len(value) > MAX_BYTES:
        return Failure(400, TOO_LONG)
    names = [n.strip().lower() for n in value.replace("%2C", ",").replace("%2c", ",").split(",")]
    names = list(dict.fromkeys(n for n in names if n))
    if len(names) > MAX_NAMES:
        return Failure(400, TOO_LONG)
    return names


def excluded_hosts(index: CacheIndex, view: DirectoryView, names: Collection[str]) -> set[int]:
    """The hosts of this directory that one of ``names`` designates."""
    by_name = url_ids_by_name(index)
    ids: set[int] = set()
    for name in names:
        ids.update(by_name.get(name, ()))
    if not ids:
        return set()
    return {host for host, url_ids in view.by_host.items() if not ids.isdisjoint(url_ids)}


def without_hosts(view: DirectoryView, excluded: Collection[int]) -> DirectoryView:
    """A copy of ``view`` in which the ``excluded`` hosts do not exist (no URLs, in no country
    and not in the global list); its per-view caches start empty (they depend on the hosts)."""
    copy = DirectoryView.__new__(DirectoryView)
    for name in DirectoryView.__slots__:
        try:
            setattr(copy, name, getattr(view, name))
        except AttributeError:
            pass
    copy.by_host = {h: ids for h, ids in view.by_host.items() if h not in excluded}
    copy.by_country = _without(view.by_country, excluded)
    copy.global_ids = tuple(h for h in view.global_ids if h not in excluded)
    copy._public = None
    copy.metalink_blocks = None
    copy.plans = {}
    copy.unreachable = {}
    return copy


def _without(table: Mapping[str, tuple[int, ...]], excluded: Collection[int]
             ) -> dict[str, tuple[int, ...]]:
    """``table`` without the excluded hosts, and without the keys left with none."""
    kept = {key: tuple(h for h in hosts if h not in excluded) for key, hosts in table.items()}
    return {key: hosts for key, hosts in kept.items() if hosts}
