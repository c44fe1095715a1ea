"""The host lists of ``MirrorListCache`` records, encoded once per distinct set of hosts.

A directory's record lists the host categories of its category that are served and either
``always_up2date`` or up to date for it (:func:`~.cache_records.host_set_parts`).  At Fedora
scale 90,000 directories share fewer than 10,000 such lists, and the database hands each
directory's up-to-date host categories over as one text (``"3,17,42"``,
:data:`mmcore.cache.CacheDirectoryHosts`): equal texts are equal sets, so a list is looked up by
``(category, text)`` and the numbers are read only the first time a text comes.  Different texts
of the same served set (ids in another order, repeats, host categories that are not served) meet
in a second table keyed by the chosen host categories themselves, so a set is encoded once.

Both tables together stay under a byte budget; when it is exceeded they are emptied (what
follows is encoded again: slower, same bytes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from mirrormanager_mirrorlist.cache_records import HostCategoryFragment, host_set_parts

#: bytes of keys and encoded lists kept (Fedora scale needs about 15 MB)
BUDGET_BYTES = 48 * 1024 * 1024
#: what a table entry costs beyond its text and bytes (dict slot, tuple, objects), roughly
ENTRY_OVERHEAD = 200
#: a host category id in a key tuple, roughly
ID_BYTES = 36

Parts = tuple[bytes, bytes]


class HostLists:
    """The encoded ``Global`` and ``ByCountry``/``ByCountryInternet2``/``ByHostId`` parts of
    the directories of one cache write.

    :param fragments: what each served host category contributes, by host category id.
    :param category_of: the category of each served host category.
    :param always_up2date: ids of the served host categories marked ``always_up2date``.
    """

    def __init__(
        self,
        fragments: dict[int, HostCategoryFragment],
        category_of: dict[int, int],
        always_up2date: Iterable[int],
        budget_bytes: int = BUDGET_BYTES,
    ) -> None:
        self._fragments = fragments
        self._served: dict[int | None, frozenset[int]] = defaultdict(frozenset)
        by_category: dict[int, set[int]] = defaultdict(set)
        for hc_id, category in category_of.items():
            by_category[category].add(hc_id)
        self._served.update((c, frozenset(ids)) for c, ids in by_category.items())
        always: dict[int, set[int]] = defaultdict(set)
        for hc_id in always_up2date:
            always[category_of[hc_id]].add(hc_id)
        self._always: dict[int | None, frozenset[int]] = defaultdict(frozenset)
        self._always.update((c, frozenset(ids)) for c, ids in always.items())
        self._budget = budget_bytes
        self._by_text: dict[tuple[int | None, str], Parts] = {}
        self._by_set: dict[tuple[int, ...], Parts] = {}
        self._bytes = 0
        #: host lists encoded (distinct served sets, more if the budget was exceeded)
        self.encoded = 0

    def parts(self, category: int | None, up2date: str) -> Parts:
        """The parts of a directory of ``category`` whose up-to-date host categories are
        ``up2date`` (decimal ids separated by commas, any order, repeats allowed)."""
        key = (category, up2date)
        found = self._by_text.get(key)
        if found is not None:
            return found
        ids = set(map(int, up2date.split(","))) if up2date else set()
        chosen = tuple(sorted(self._served[category].intersection(ids) | self._always[category]))
        parts = self._by_set.get(chosen)
        if parts is None:
            parts = host_set_parts([self._fragments[hc] for hc in chosen])
            self.encoded += 1
            self._make_room(len(parts[0]) + len(parts[1]) + ID_BYTES * len(chosen))
            self._by_set[chosen] = parts
        self._make_room(len(up2date))
        self._by_text[key] = parts
        return parts

    def _make_room(self, size: int) -> None:
        """Count an entry of ``size`` bytes (plus overhead), emptying both tables first if it
        would exceed the budget."""
        size += ENTRY_OVERHEAD
        if self._bytes + size > self._budget:
            self._by_text.clear()
            self._by_set.clear()
            self._bytes = 0
        self._bytes += size
