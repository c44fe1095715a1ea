"""The crawler's storage operations (:class:`mmcore.crawl.store.CrawlStore`) on SQLAlchemy Core.

Mixed into ``SqlStore`` (needs ``self.engine`` and ``self._errors``).  Reads are small or paginated by integer keys;
one host's results are written in one transaction, with only the rows whose state changes
touched, in batches of ``RECORD_BATCH`` rows per statement.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from mmcore.crawl.protocol import REPOMD_NAME, DirectoryExpectation, ExpectedFile
from mmcore.crawl.store import (
    CRAWL_HISTORY,
    CategoryRecord,
    CrawlSelection,
    CrawlStatus,
    HostCategoryTarget,
    HostCrawlRecord,
    HostRecordOutcome,
    HostTarget,
    PropagationCounts,
    PropagationMirror,
    PropagationRepository,
)
from mmcore.events import HostInfo, SiteInfo
from mmcore.model import decode_file_list

from . import schema as t

RECORD_BATCH = 500

F = TypeVar("F", bound=Callable[..., Any])


def _translated(doing: str) -> Callable[[F], F]:
    """Run the method inside ``self._errors(doing)``: database errors become ``StoreError``
    saying what failed on which database."""

    def wrap(method: F) -> F:
        @functools.wraps(method)
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            with self._errors(doing):
                return method(self, *args, **kwargs)

        return call  # type: ignore[return-value]

    return wrap


def _host_details(conn: sa.Connection, host_id: int) -> tuple[SiteInfo | None, HostInfo]:
    """The site and host as events describe them (Fedora's message bodies)."""
    h, s, a = t.host, t.site, t.site_admin
    row = conn.execute(
        sa.select(h.c.name, h.c.country, h.c.bandwidth_int, h.c.asn, h.c.site_id, s.c.name,
                  s.c.org_url)
        .select_from(h.outerjoin(s, h.c.site_id == s.c.id)).where(h.c.id == host_id)
    ).one()
    host = HostInfo(id=host_id, name=row[0], country=row[1], bandwidth=row[2], asn=row[3])
    if row[4] is None:
        return None, host
    admins = conn.execute(
        sa.select(a.c.username).where(a.c.site_id == row[4], a.c.username.is_not(None))
        .order_by(a.c.id)
    ).scalars()
    return SiteInfo(id=row[4], name=row[5], org_url=row[6], admins=tuple(admins)), host


def _chunks(values: Sequence[Any], size: int = RECORD_BATCH) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _relative(name: str, topdir: str) -> str | None:
    if name == topdir:
        return ""
    if name.startswith(topdir + "/"):
        return name[len(topdir) + 1 :]
    return None


def _record_history(conn: sa.Connection, record: HostCrawlRecord, failures: int) -> None:
    """One ``host_crawl`` row per recorded crawl; only the newest ``CRAWL_HISTORY`` kept."""
    hc = t.host_crawl
    conn.execute(sa.insert(hc).values(
        host_id=record.host_id, finished_at=record.finished_at, duration=int(record.duration),
        status=record.status.value, crawl_failures=failures,
        reason=(record.reason or None) and record.reason[:2000], protocols=record.protocols[:2000],
    ))
    keep = (sa.select(hc.c.id).where(hc.c.host_id == record.host_id)
            .order_by(hc.c.finished_at.desc(), hc.c.id.desc()).limit(CRAWL_HISTORY))
    conn.execute(sa.delete(hc).where(hc.c.host_id == record.host_id,
                                     hc.c.id.not_in(keep)))


def _record_families(conn: sa.Connection, record: HostCrawlRecord) -> None:
    """``host_category_url.ipv4`` / ``ipv6`` of the host's URLs that were probed (a URL of
    another host is never touched, whatever the record says)."""
    if not record.url_families:
        return
    u, hc = t.host_category_url, t.host_category
    owned = sa.select(hc.c.id).where(hc.c.host_id == record.host_id).scalar_subquery()
    statement = (sa.update(u)
                 .where(u.c.url == sa.bindparam("b_url"), u.c.host_category_id.in_(owned))
                 .values(ipv4=sa.bindparam("b_ipv4"), ipv6=sa.bindparam("b_ipv6")))
    for chunk in _chunks(record.url_families):
        conn.execute(statement, [{"b_url": f.url, "b_ipv4": f.ipv4, "b_ipv6": f.ipv6}
                                 for f in chunk])


class CrawlOpsMixin:
    """:class:`mmcore.crawl.store.CrawlStore` for ``SqlStore``."""

    engine: sa.Engine

    # -- host selection ------------------------------------------------------------------------

    @_translated("select the hosts to crawl from")
    def select_crawl_hosts(self, selection: CrawlSelection) -> list[HostTarget]:
        h, s = t.host, t.site
        query = (
            sa.select(
                h.c.id, h.c.name, h.c.country, h.c.private, h.c.user_active,
                h.c.crawl_failures, h.c.last_crawl_duration,
            )
            .select_from(h.join(s, h.c.site_id == s.c.id))
            .where(h.c.admin_active.is_(True), s.c.admin_active.is_(True),
                   s.c.user_active.is_(True))
        )
        if not selection.include_disabled:
            query = query.where(h.c.user_active.is_(True))
        if not selection.include_private:
            query = query.where(h.c.private.is_(False), s.c.private.is_(False))
        if selection.host_ids:
            query = query.where(h.c.id.in_(selection.host_ids))
        query = query.order_by(sa.func.coalesce(h.c.last_crawl_duration, 0).desc(), h.c.id)

        hc, c, u = t.host_category, t.category, t.host_category_url
        with self.engine.connect() as conn:
            hosts = conn.execute(query).all()
            host_ids = [row.id for row in hosts]
            categories: dict[int, list[Any]] = {}
            urls: dict[int, list[str]] = {}
            for chunk in _chunks(host_ids):
                cat_query = (
                    sa.select(hc.c.id, hc.c.host_id, hc.c.category_id, hc.c.always_up2date,
                              c.c.name)
                    .select_from(hc.join(c, hc.c.category_id == c.c.id))
                    .where(hc.c.host_id.in_(chunk))
                    .order_by(hc.c.id)
                )
                if selection.categories:
                    cat_query = cat_query.where(c.c.name.in_(selection.categories))
                for row in conn.execute(cat_query):
                    categories.setdefault(row.host_id, []).append(row)
                url_query = (
                    sa.select(u.c.host_category_id, u.c.url)
                    .select_from(u.join(hc, u.c.host_category_id == hc.c.id))
                    .where(hc.c.host_id.in_(chunk))
                    .order_by(u.c.id)
                )
                for row in conn.execute(url_query):
                    urls.setdefault(row.host_category_id, []).append(row.url)
        return [
            HostTarget(
                id=row.id,
                name=row.name,
                country=(row.country or "").upper(),
                private=bool(row.private),
                user_active=bool(row.user_active),
                crawl_failures=row.crawl_failures or 0,
                last_crawl_duration=row.last_crawl_duration or 0,
                categories=tuple(
                    HostCategoryTarget(
                        host_category_id=cat.id,
                        category_id=cat.category_id,
                        category_name=cat.name,
                        always_up2date=bool(cat.always_up2date),
                        urls=tuple(sorted(urls.get(cat.id, ()))),
                    )
                    for cat in categories.get(row.id, ())
                ),
            )
            for row in hosts
        ]

    @_translated("read the continent redirects of")
    def continent_overrides(self) -> dict[str, str]:
        r = t.country_continent_redirect
        with self.engine.connect() as conn:
            return {
                row.country.upper(): row.continent.upper()
                for row in conn.execute(sa.select(r.c.country, r.c.continent))
            }

    # -- expected directory state --------------------------------------------------------------

    @_translated("read the directories to crawl from")
    def category_directories(
        self, category_id: int, after_directory_id: int, limit: int
    ) -> list[DirectoryExpectation]:
        c, d, cd, fd = t.category, t.directory, t.category_directory, t.file_detail
        with self.engine.connect() as conn:
            topdir = conn.execute(
                sa.select(d.c.name)
                .select_from(c.join(d, c.c.topdir_id == d.c.id))
                .where(c.c.id == category_id)
            ).scalar()
            if topdir is None:
                return []
            rows = conn.execute(
                sa.select(d.c.id, d.c.name, d.c.files, d.c.readable)
                .select_from(d.join(cd, cd.c.directory_id == d.c.id))
                .where(cd.c.category_id == category_id, d.c.readable.is_(True),
                       d.c.id > after_directory_id)
                .order_by(d.c.id)
                .limit(limit)
            ).all()
            repodata_ids = [row.id for row in rows if row.name.endswith("/repodata")]
            newest: dict[int, str] = {}
            for chunk in _chunks(repodata_ids):
                details = conn.execute(
                    sa.select(fd.c.directory_id, fd.c.sha256)
                    .where(fd.c.directory_id.in_(chunk), fd.c.filename == REPOMD_NAME,
                           fd.c.sha256.is_not(None))
                    .order_by(fd.c.directory_id, fd.c.timestamp.desc(), fd.c.id.desc())
                )
                for detail in details:
                    newest.setdefault(detail.directory_id, detail.sha256)
        result = []
        for row in rows:
            path = _relative(row.name, topdir)
            if path is None:
                # a directory linked to the category outside its top directory: the crawler
                # cannot build its URL, so it is not checked
                path = row.name
            files = tuple(
                ExpectedFile(entry.name, entry.size)
                for entry in decode_file_list(row.files, row.name)
            )
            result.append(
                DirectoryExpectation(row.id, path, bool(row.readable), files, newest.get(row.id))
            )
        return result

    # -- recording -----------------------------------------------------------------------------

    @_translated("record a host's crawl in")
    def record_host_crawl(self, record: HostCrawlRecord) -> HostRecordOutcome:
        h = t.host
        with self.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                # several crawler processes (``crawl --processes``) write at once: take SQLite's
                # write lock with the transaction's first statement, where the busy timeout
                # waits for it; a read first would make the later write fail at once
                # ("database is locked") whenever another process committed in between
                conn.execute(sa.update(h).where(h.c.id == record.host_id)
                             .values(crawl_failures=h.c.crawl_failures))
            current = conn.execute(
                sa.select(h.c.crawl_failures, h.c.user_active).where(h.c.id == record.host_id)
            ).one_or_none()
            if current is None:
                raise LookupError(f"host {record.host_id} does not exist")
            if record.status is CrawlStatus.UNKNOWN:
                return HostRecordOutcome(crawl_failures=current.crawl_failures or 0)
            values: dict[str, Any] = {
                "last_crawled": record.finished_at,
                "last_crawl_duration": int(record.duration),
            }
            counts = {"marked_up2date": 0, "marked_not_up2date": 0, "created": 0, "unseen": 0}
            disabled = False
            reason = None
            if record.status is CrawlStatus.OK:
                failures = 0
                values.update(crawl_failures=0, user_active=True, disable_reason=None)
                for category in record.categories:
                    for key, value in _apply_category(conn, category).items():
                        counts[key] += value
            else:
                failures = (current.crawl_failures or 0) + 1
                values["crawl_failures"] = failures
                if record.status is CrawlStatus.TIMEOUT:
                    counts["marked_not_up2date"] = _mark_host_not_up2date(conn, record.host_id)
                if record.auto_disable > 0 and failures >= record.auto_disable:
                    if current.user_active:
                        disabled = True
                    reason = (
                        f"Host has been disabled (user_active) after {failures} consecutive "
                        f"crawl failures; last: {record.reason}"[:2000]
                    )
                    values.update(user_active=False, disable_reason=reason)
            conn.execute(sa.update(h).where(h.c.id == record.host_id).values(**values))
            _record_history(conn, record, failures)
            _record_families(conn, record)
            site, host = _host_details(conn, record.host_id) if disabled else (None, None)
        return HostRecordOutcome(
            crawl_failures=failures, disabled=disabled, disable_reason=reason, site=site,
            host=host, **counts
        )

    # -- propagation ---------------------------------------------------------------------------

    @_translated("read the versions to measure from")
    def propagation_versions(self, products: Sequence[str]) -> list[tuple[str, str]]:
        p, v = t.product, t.version
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(p.c.name, v.c.name)
                .select_from(v.join(p, v.c.product_id == p.c.id))
                .where(p.c.name.in_(list(products)), v.c.display.is_(True),
                       v.c.is_test.is_(False), v.c.name.is_not(None))
                .order_by(p.c.id, v.c.id)
            ).all()
        return [(row[0], row[1]) for row in rows]

    @_translated("read the repositories to measure from")
    def propagation_repositories(
        self, prefixes: Sequence[str], arch: str, max_stale_days: int
    ) -> list[PropagationRepository]:
        r, a, d, c, fd = t.repository, t.arch, t.directory, t.category, t.file_detail
        result = []
        with self.engine.connect() as conn:
            for prefix in prefixes:
                rows = conn.execute(
                    sa.select(r.c.id, r.c.category_id, a.c.name.label("arch"),
                              d.c.name.label("dir"), c.c.topdir_id)
                    .select_from(
                        r.join(d, r.c.directory_id == d.c.id)
                        .join(c, r.c.category_id == c.c.id)
                        .outerjoin(a, r.c.arch_id == a.c.id)
                    )
                    .where(r.c.prefix == prefix, r.c.disabled.is_(False))
                    .order_by(r.c.arch_id, r.c.id)
                ).all()
                if not rows:
                    continue
                row = next((x for x in rows if x.arch == arch), rows[0])
                topdir = conn.execute(
                    sa.select(d.c.name).where(d.c.id == row.topdir_id)
                ).scalar()
                repodata_name = row.dir + "/repodata"
                repodata_id = conn.execute(
                    sa.select(d.c.id).where(d.c.name == repodata_name)
                ).scalar()
                if repodata_id is None or topdir is None:
                    continue
                details = conn.execute(
                    sa.select(fd.c.sha256, fd.c.timestamp)
                    .where(fd.c.directory_id == repodata_id, fd.c.filename == REPOMD_NAME,
                           fd.c.sha256.is_not(None), fd.c.timestamp.is_not(None))
                    .order_by(fd.c.timestamp.desc(), fd.c.id.desc())
                ).all()
                if not details:
                    continue
                newest = details[0].timestamp
                window = max_stale_days * 86400
                master = tuple(
                    (x.sha256.lower(), int(x.timestamp))
                    for x in details
                    if x.timestamp > newest - window
                )
                path = _relative(repodata_name, topdir)
                if path is None:
                    continue
                result.append(
                    PropagationRepository(row.id, prefix, row.category_id, path, master)
                )
        return result

    @_translated("read the mirrors to measure from")
    def propagation_mirrors(self, category_ids: Sequence[int]) -> list[PropagationMirror]:
        h, s, hc, u = t.host, t.site, t.host_category, t.host_category_url
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(h.c.id, h.c.name, hc.c.category_id, u.c.url)
                .select_from(
                    h.join(s, h.c.site_id == s.c.id)
                    .join(hc, hc.c.host_id == h.c.id)
                    .join(u, u.c.host_category_id == hc.c.id)
                )
                .where(
                    hc.c.category_id.in_(list(category_ids)),
                    h.c.admin_active.is_(True), h.c.user_active.is_(True),
                    h.c.private.is_(False), s.c.private.is_(False),
                    s.c.admin_active.is_(True), s.c.user_active.is_(True),
                    u.c.private.is_(False),
                )
                .order_by(h.c.id, hc.c.category_id, u.c.id)
            ).all()
        chosen: dict[tuple[int, int], PropagationMirror] = {}
        for row in rows:
            if not row.url.startswith(("http://", "https://")):
                continue
            key = (row.id, row.category_id)
            previous = chosen.get(key)
            if previous is None or (
                row.url.startswith("https://") and not previous.url.startswith("https://")
            ):
                chosen[key] = PropagationMirror(row.id, row.name, row.category_id, row.url)
        return list(chosen.values())

    @_translated("record propagation in")
    def record_propagation(
        self, counts: Sequence[PropagationCounts], at: datetime.datetime
    ) -> None:
        if not counts:
            return
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(t.propagation_stat),
                [
                    {
                        "repository_id": c.repository_id, "datetime": at,
                        "same_day": c.same_day, "one_day": c.one_day, "two_day": c.two_day,
                        "older": c.older, "no_info": c.no_info,
                    }
                    for c in counts
                ],
            )


def _apply_category(conn: sa.Connection, category: CategoryRecord) -> dict[str, int]:
    """Bring one host category's rows in line with its verdicts; only changed rows are written."""
    hcd = t.host_category_dir
    existing = {
        row.path: (row.id, bool(row.up2date))
        for row in conn.execute(
            sa.select(hcd.c.id, hcd.c.path, hcd.c.up2date).where(
                hcd.c.host_category_id == category.host_category_id
            )
        )
    }
    to_true: list[int] = []
    to_false: list[int] = []
    inserts: list[dict[str, Any]] = []
    seen: set[str] = set()
    for directory_id, path, up2date in category.verdicts:
        seen.add(path)
        if up2date is None:
            continue
        row = existing.get(path)
        if row is None:
            if up2date:
                inserts.append({
                    "host_category_id": category.host_category_id,
                    "path": path,
                    "up2date": True,
                    "directory_id": directory_id,
                })
            continue
        row_id, current = row
        if current != up2date:
            (to_true if up2date else to_false).append(row_id)
    unseen: list[int] = []
    if category.complete:
        unseen = [row_id for path, (row_id, current) in existing.items()
                  if path not in seen and current]
    for ids, value in ((to_true, True), (to_false + unseen, False)):
        for chunk in _chunks(ids):
            conn.execute(sa.update(hcd).where(hcd.c.id.in_(chunk)).values(up2date=value))
    for chunk in _chunks(inserts):
        conn.execute(sa.insert(hcd), list(chunk))
    return {
        "marked_up2date": len(to_true),
        "marked_not_up2date": len(to_false),
        "created": len(inserts),
        "unseen": len(unseen),
    }


def _mark_host_not_up2date(conn: sa.Connection, host_id: int) -> int:
    hcd, hc = t.host_category_dir, t.host_category
    result = conn.execute(
        sa.update(hcd)
        .where(
            hcd.c.host_category_id.in_(sa.select(hc.c.id).where(hc.c.host_id == host_id)),
            hcd.c.up2date.is_(True),
        )
        .values(up2date=False)
    )
    return result.rowcount or 0
