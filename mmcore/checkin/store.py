"""What a report_mirror check-in needs from storage: :class:`CheckinStore` and its values.

The storage backend implements it (``plugins/pg_store``: ``CheckinOpsMixin``).  Methods are
synchronous; :mod:`mmcore.checkin.service` calls them through :func:`mmcore.db.run_db`.
Times are naive UTC, as MirrorManager2 stores them.  Failed check-ins are counted with the
log-in throttle's operations (:class:`mmcore.accounts.store.AccountStore`, key ``site:<id>``).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import attrs


@attrs.frozen
class CheckinHost:
    id: int
    name: str
    private: bool
    user_active: bool
    country: str | None = None
    bandwidth_int: int | None = None
    asn: int | None = None


@attrs.frozen
class CheckinSite:
    """The site a report names, with what the check-in decides on."""

    id: int
    name: str
    #: ``site.password``: a hash from :mod:`mmcore.passwords`, or (in a MirrorManager2 database
    #: adopted in place) the password in clear; ``None`` when the site has none
    password: str | None = attrs.field(repr=False)
    #: the site's host named in the report; ``None`` when the site has no such host
    host: CheckinHost | None
    org_url: str | None = None


@attrs.frozen
class StoredDirectory:
    """One ``host_category_dir`` row."""

    id: int
    #: relative to the category's top directory (``""`` for the top); ``None`` in odd old rows
    path: str | None
    up2date: bool


@attrs.frozen
class CategoryState:
    """A host category a report covers, as stored."""

    host_category_id: int
    #: the category's name as stored (the report has it lower-cased)
    category_name: str
    #: the report's key it matched
    key: str
    stored: tuple[StoredDirectory, ...]
    #: directory ids of the reported paths that have no row yet, for those the master tree
    #: knows (``directory.name`` = top directory + ``/`` + path); the others are left out
    directories: Mapping[str, int]


@attrs.frozen
class CategoryChange:
    """What one report changes in one host category (see :mod:`mmcore.checkin.plan`)."""

    host_category_id: int
    category_name: str
    #: row ids to set up to date (rows already up to date are not written)
    mark_up2date: tuple[int, ...] = ()
    #: ``(path, directory_id)`` rows to create, up to date
    add: tuple[tuple[str, int], ...] = ()
    #: row ids to delete (stored paths the report no longer lists)
    delete: tuple[int, ...] = ()
    #: MirrorManager2's counts: reported paths that have a row, rows created, rows deleted
    updated: int = 0
    added: int = 0
    deleted: int = 0


@attrs.frozen
class HostCheckinUpdate:
    """Everything one check-in writes, in one transaction."""

    site_id: int
    host_id: int
    checked_in_at: datetime.datetime
    #: ``host.user_active`` to set; ``None`` leaves it
    user_active: bool | None = None
    categories: tuple[CategoryChange, ...] = ()
    #: a new ``site.password`` value (a hash replacing a password stored in clear); ``None``
    #: leaves it
    site_password: str | None = attrs.field(default=None, repr=False)


@runtime_checkable
class CheckinStore(Protocol):
    """Storage operations of report_mirror check-ins."""

    def find_checkin_site(self, site_name: str, host_name: str) -> CheckinSite | None:
        """The first site (lowest id) named ``site_name`` -- site names are not unique, and
        MirrorManager2 takes the first -- with its host named ``host_name``; ``None`` when no
        site has the name."""

    def checkin_categories(
        self, host_id: int, reported: Mapping[str, Sequence[str]]
    ) -> list[CategoryState]:
        """The host's categories the report covers, in the report's order.

        :param reported: report key -> reported paths.  A key matches the host category whose
            category name, lower-cased, equals the key lower-cased; keys matching none are
            left out (a report never creates host categories), as are later keys matching a
            category an earlier key matched.
        """

    def apply_checkin(self, update: HostCheckinUpdate) -> None:
        """Write one check-in in one transaction, in batched statements: the rows set up to
        date, created (a row another writer created meanwhile is set up to date instead) and
        deleted; ``host.last_checked_in`` (and ``user_active`` when given); ``site.password``
        when given.  On any error nothing is written."""
