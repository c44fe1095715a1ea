"""The storage interface the core and plugins program against.

A storage backend (``plugins/pg_store`` ships the SQLAlchemy one) returns an object implementing
:class:`Store` from the ``mm_open_store`` hook.  The interface is made of coarse, use-case
operations -- bulk loads for the dataset generator and the scanner, batched result writes for the
crawler, streaming reads for the cache writer, whole-deployment reads and writes for the
declarative import -- never an ORM session handed to callers.

Every method is synchronous and may block on the database.  From trio, call them through
:func:`mmcore.db.run_db`, which runs them in a worker thread under the store's
:attr:`Store.limiter` (sized to the connection pool).

Each use case keeps its part of the interface in its own protocol so that the parts can grow
independently; :class:`Store` is their union.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

# the use-case parts are defined beside the engines that use them
from mmcore.accounts.api_tokens import ApiTokenStore
from mmcore.accounts.store import AccountStore
from mmcore.cache import CacheSource
from mmcore.checkin.store import CheckinStore
from mmcore.crawl.store import CrawlStore
from mmcore.manage.api_store import ApiReadStore
from mmcore.manage.public import PublicStore
from mmcore.manage.store import ManageStore
from mmcore.ops.store import OpsStore
from mmcore.scan.store import ScanStore

# defined apart (light, for the command line) and part of this interface
from mmcore.store_errors import (  # noqa: F401
    SchemaOutOfDate,
    StoreConfigError,
    StoreError,
    StoreMissing,
)

if TYPE_CHECKING:
    from mmcore.deployment import Deployment


ProgressCallback = Callable[[str, int], None]
"""``progress(table_name, rows_done_so_far)``; called from the loading thread."""


@runtime_checkable
class StoreLifecycle(Protocol):
    """Opening, migrating and closing."""

    #: the database URL with any password masked, for messages
    display_url: str
    #: ``"sqlite"`` or ``"postgresql"`` (SQLAlchemy dialect name)
    dialect: str
    #: how many connections the pool holds; :func:`mmcore.db.run_db` sizes its limiter to it
    pool_size: int

    def upgrade(self) -> str:
        """Create the schema or migrate it to the newest revision; return that revision."""

    def current_revision(self) -> str | None:
        """The schema revision the database is at, ``None`` for an empty database."""

    def check_schema(self) -> None:
        """Raise :class:`SchemaOutOfDate` unless the schema is at the newest revision."""

    def table_counts(self) -> dict[str, int]:
        """Row count of every table, by MirrorManager2 table name."""

    def close(self) -> None:
        """Release every connection."""


@runtime_checkable
class DeploymentStore(Protocol):
    """The declarative part of the database: what ``mirrormanager import/export`` manage."""

    def load_deployment(self) -> Deployment:
        """Read arches, products, categories, sites with their hosts, host categories and URLs,
        and the redirects, as one :class:`mmcore.deployment.Deployment` in a stable order."""

    def apply_deployment(self, deployment: Deployment) -> None:
        """Make the database hold ``deployment`` in one transaction.

        Entities are matched by natural key (arch, product and category by name, site by name,
        host by site and name, host category by host and category name).  Entities named in
        ``deployment`` are created or updated to equal it, with what they own: a named site's
        hosts are exactly the ones listed (others are deleted), and site admins, host netblocks,
        allowed countries, peer ASNs, a host's categories and their URLs are replaced to match
        exactly.  Entities not named are left alone.  The written entities are read back and
        compared; on any difference or error nothing is written (:class:`StoreError`).
        ``mmcore.deployment_plan.plan_import`` builds the deployment an import passes here.
        """


@runtime_checkable
class BulkStore(Protocol):
    """Fast loading of many rows (dataset generator, first scans)."""

    def bulk_load(
        self,
        tables: Mapping[str, tuple[tuple[str, ...], Iterable[tuple]]],
        progress: ProgressCallback | None = None,
    ) -> dict[str, int]:
        """Append rows to tables in one transaction, in the mapping's order.

        :param tables: ``{table_name: (column_names, rows)}``; ``rows`` is any iterable of
            tuples in ``column_names`` order and is consumed lazily (streams; never held whole).
            Ids are given explicitly by the caller.
        :return: rows written per table.
        Secondary indexes may be dropped before and rebuilt after the load; sequences are
        advanced past the largest id written.
        """


@runtime_checkable
class Store(
    StoreLifecycle, DeploymentStore, BulkStore, ScanStore, CrawlStore, CacheSource, OpsStore,
    ManageStore, PublicStore, AccountStore, CheckinStore, ApiReadStore, ApiTokenStore, Protocol
):
    """Everything a storage backend provides: lifecycle, the declarative deployment, bulk loads,
    the scanner's, crawler's, cache writer's and operations commands' operations, and the
    management, public-page and account operations of the web UI and API (with the API's
    keyset reads and API tokens), and report_mirror check-ins."""
