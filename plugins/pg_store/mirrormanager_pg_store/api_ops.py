"""The JSON API's reads (:class:`mmcore.manage.api_store.ApiReadStore`) and API tokens
(:class:`mmcore.accounts.api_tokens.ApiTokenStore`) on SQLAlchemy Core.

Mixed into ``SqlStore``.  List reads are keyset reads on the primary key (``id > :after``), so
a page costs an index range scan whatever its position.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from mmcore.accounts.api_tokens import ApiToken
from mmcore.manage import catalog
from mmcore.manage.api_store import FilterValue, RepositoryDirectory
from mmcore.manage.errors import Conflict
from mmcore.manage.store import MAX_PAGE_SIZE, CrawlHistoryEntry

from . import schema as t
from .manage_ops import model_columns, table_of, to_model


def _token(row: sa.Row) -> ApiToken:
    try:
        groups = tuple(str(g) for g in json.loads(row.groups))
    except (ValueError, TypeError):
        groups = ()
    return ApiToken(id=row.id, username=row.user_name, name=row.name, scope=row.scope,
                    prefix=row.prefix, groups=groups, provider=row.provider,
                    created=row.created, expiry=row.expiry, last_used=row.last_used,
                    revoked=row.revoked)


class ApiOpsMixin:
    engine: sa.Engine

    # -- keyset reads ----------------------------------------------------------------------------

    def rows_after(self, table: str, after_id: int, limit: int,
                   filters: Mapping[str, FilterValue] | None = None,
                   descending: bool = False) -> tuple[Any, ...]:
        kind = catalog.kind(table)
        tab = table_of(table)
        allowed = set(kind.columns) | {"id"}
        where: list[Any] = []
        for column, value in (filters or {}).items():
            if column not in allowed:
                raise KeyError(f"{table} cannot be filtered by {column!r}")
            if isinstance(value, tuple):
                where.append(tab.c[column].in_(value) if value else sa.false())
            else:
                where.append(tab.c[column].is_(value) if value is None else tab.c[column] == value)
        if after_id:
            where.append(tab.c.id < after_id if descending else tab.c.id > after_id)
        order = tab.c.id.desc() if descending else tab.c.id
        limit = max(1, min(limit, MAX_PAGE_SIZE + 1))
        with self._reading(f"list {table} of") as conn:  # type: ignore[attr-defined]
            rows = conn.execute(sa.select(*model_columns(kind, tab)).where(*where)
                                .order_by(order).limit(limit))
            return tuple(to_model(kind, row) for row in rows)

    def mirror_admins(self, name: str | None = None) -> tuple[str, ...] | None:
        s, h, a = t.site, t.host, t.site_admin
        with self._reading("read the mirror admins of") as conn:  # type: ignore[attr-defined]
            if name is None:
                names = conn.execute(sa.select(a.c.username).distinct()
                                     .where(a.c.username.is_not(None))).scalars()
                return tuple(sorted(set(names)))
            site_id = conn.execute(sa.select(h.c.site_id).where(h.c.name == name)
                                   .order_by(h.c.id).limit(1)).scalar()
            if site_id is None:
                site_id = conn.execute(sa.select(s.c.id).where(s.c.name == name)
                                       .order_by(s.c.id).limit(1)).scalar()
            if site_id is None:
                return None
            creator = conn.execute(sa.select(s.c.created_by).where(s.c.id == site_id)).scalar()
            admins = set(conn.execute(sa.select(a.c.username).where(
                a.c.site_id == site_id, a.c.username.is_not(None))).scalars())
        if creator:
            admins.add(creator)
        return tuple(sorted(admins))

    def repository_directories(self) -> tuple[RepositoryDirectory, ...]:
        r, d = t.repository, t.directory
        with self._reading("read the repositories of") as conn:  # type: ignore[attr-defined]
            rows = conn.execute(sa.select(r.c.prefix, r.c.name, d.c.name.label("directory"))
                                .select_from(r.outerjoin(d, r.c.directory_id == d.c.id))
                                .order_by(r.c.prefix, r.c.id))
            return tuple(RepositoryDirectory(row.prefix, row.name, row.directory) for row in rows)

    def host_crawls_before(self, host_id: int, before_id: int,
                           limit: int) -> tuple[CrawlHistoryEntry, ...]:
        c = t.host_crawl
        where = [c.c.host_id == host_id]
        if before_id:
            where.append(c.c.id < before_id)
        limit = max(1, min(limit, MAX_PAGE_SIZE + 1))
        with self._reading("read the crawl history of") as conn:  # type: ignore[attr-defined]
            return tuple(
                CrawlHistoryEntry(row.finished_at, row.duration, row.status,
                                  row.crawl_failures, row.reason, row.protocols, id=row.id)
                for row in conn.execute(sa.select(c).where(*where)
                                        .order_by(c.c.id.desc()).limit(limit)))

    # -- API tokens ------------------------------------------------------------------------------

    def create_api_token(self, username: str, name: str, scope: str, token_hash: str,
                         prefix: str, groups: tuple[str, ...], provider: str,
                         created: datetime.datetime, expiry: datetime.datetime) -> int:
        k = t.mm_api_token
        with self._errors("store an API token in"), self.engine.begin() as conn:  # type: ignore[attr-defined]
            taken = conn.execute(sa.select(k.c.id).where(
                k.c.user_name == username, k.c.name == name, k.c.revoked.is_(None),
                k.c.expiry > created).limit(1)).scalar()
            if taken is not None:
                raise Conflict(f"name: you already have a token named {name!r}", field="name")
            return conn.execute(sa.insert(k).values(
                user_name=username, name=name, scope=scope, token_hash=token_hash,
                prefix=prefix, groups=json.dumps(list(groups)), provider=provider,
                created=created, expiry=expiry).returning(k.c.id)).scalar_one()

    def api_tokens_of(self, username: str) -> tuple[ApiToken, ...]:
        k = t.mm_api_token
        with self._reading("read API tokens from") as conn:  # type: ignore[attr-defined]
            return tuple(_token(row) for row in conn.execute(
                sa.select(k).where(k.c.user_name == username)
                .order_by(k.c.created.desc(), k.c.id.desc()).limit(500)))

    def api_token_by_hash(self, token_hash: str) -> ApiToken | None:
        k = t.mm_api_token
        with self._reading("read an API token from") as conn:  # type: ignore[attr-defined]
            row = conn.execute(sa.select(k).where(k.c.token_hash == token_hash)).one_or_none()
        return _token(row) if row is not None else None

    def revoke_api_token(self, username: str, token_id: int, at: datetime.datetime) -> bool:
        k = t.mm_api_token
        with self._errors("revoke an API token in"), self.engine.begin() as conn:  # type: ignore[attr-defined]
            return conn.execute(sa.update(k).where(
                k.c.id == token_id, k.c.user_name == username, k.c.revoked.is_(None))
                .values(revoked=at)).rowcount == 1

    def touch_api_token(self, token_id: int, at: datetime.datetime) -> None:
        k = t.mm_api_token
        with self._errors("record the use of an API token in"), self.engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(sa.update(k).where(k.c.id == token_id).values(last_used=at))
