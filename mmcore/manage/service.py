"""The management use cases: check the rules, parse the values, write with an audit record.

:class:`ManageService` is what the web UI and the JSON API call (from a worker thread: every
method is synchronous and reads and writes through a :class:`ManageStore`).  Each write method
returns a :class:`Change` whose ``events`` the caller announces after the commit
(``runtime.announce``); a refused request raises a :class:`mmcore.manage.errors.ManageError`
before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from mmcore import events
from mmcore.manage import fields as parse
from mmcore.manage.catalog import Field, Kind, kind as kind_of
from mmcore.manage.errors import Conflict, InvalidInput, NotFound
from mmcore.manage.rules import (
    Actor,
    ManageRules,
    check_category_allowed,
    check_netblock_size,
    check_url_rule,
    is_site_admin,
    require_admin,
    require_kind,
    require_login,
    require_site_admin,
    require_under,
)
from mmcore.manage.store import AuditRecord, HostDetail, ManageStore, Owner, SiteDetail
from mmcore.passwords import hash_password

#: schemes of URLs that are not mirror URLs (organisation pages, canonical hosts)
WEB_SCHEMES = frozenset({"http", "https"})
#: the value a secret shows in the audit log
SECRET = "(changed)"


@attrs.frozen
class Change:
    """A committed write."""

    table: str
    row_id: int
    #: ``create``, ``update``, ``delete``
    action: str
    #: events to announce (``runtime.announce``) now that the change is committed
    events: tuple[object, ...] = ()


class ManageService:
    """Site, host and admin-table management with MirrorManager2's rules."""

    def __init__(self, store: ManageStore, rules: ManageRules | None = None, *,
                 host_url: Callable[[int], str | None] = lambda host_id: None) -> None:
        self.store = store
        self.rules = rules or ManageRules()
        #: the host page's URL for events (``HostInfo.url``)
        self.host_url = host_url

    # -- permissions -------------------------------------------------------------------------

    def owner(self, table: str, row_id: int) -> Owner:
        owner = self.store.owner_of(table, row_id)
        if owner is None:
            raise NotFound(f"no {kind_of(table).label} {row_id}")
        return owner

    def site_admins(self, site_id: int | None) -> tuple[str, ...]:
        return self.store.site_admin_names(site_id) if site_id is not None else ()

    def require_manage(self, actor: Actor, table: str, owner: Owner | None) -> None:
        """``actor`` may change rows of ``table`` under ``owner`` (``None``: an admin table)."""
        kind = kind_of(table)
        require_login(actor)
        require_kind(actor, kind)
        if owner is None or owner.site_id is None:
            require_admin(actor)
            return
        require_site_admin(actor, self.site_admins(owner.site_id))

    def can_manage_site(self, actor: Actor, site_id: int) -> bool:
        return is_site_admin(actor, self.site_admins(site_id))

    def view_site(self, actor: Actor, site_id: int) -> SiteDetail:
        """The site page's data, for its admins and MirrorManager admins only."""
        detail = self.store.site_detail(site_id)
        if detail is None:
            raise NotFound(f"no site {site_id}")
        require_site_admin(actor, {a.username for a in detail.admins if a.username})
        return detail

    def view_host(self, actor: Actor, host_id: int, crawls: int = 10,
                  counts: bool = True) -> HostDetail:
        """The host page's data (with its crawl history), for the site's admins and
        MirrorManager admins only (``counts``: see :meth:`ManageStore.host_detail`)."""
        detail = self.store.host_detail(host_id, crawls, counts)
        if detail is None:
            raise NotFound(f"no host {host_id}")
        require_site_admin(actor, detail.site_admins)
        return detail

    def require_host_admin(self, actor: Actor, host_id: int) -> Owner:
        """``actor`` administers the site of ``host_id`` (crawl logs, host panels)."""
        owner = self.owner("host", host_id)
        require_site_admin(actor, self.site_admins(owner.site_id))
        return owner

    # -- writes --------------------------------------------------------------------------------

    def create_site(self, actor: Actor, form: Mapping[str, Any]) -> Change:
        """A logged-in user creates a site and becomes its first admin."""
        require_login(actor)
        assert actor.username is not None
        kind = kind_of("site")
        values = self.values(actor, kind, form, old=None)
        audit = AuditRecord(username=actor.username, action="create", object_type="site",
                            summary=_summary(kind, {}, values))
        site_id = self.store.create_site(values, actor.username, audit)
        return Change("site", site_id, "create")

    def create(self, actor: Actor, table: str, form: Mapping[str, Any], *,
               parent_id: int | None = None) -> Change:
        """Add a row of ``table`` under the parent row ``parent_id`` (``None`` for admin
        tables)."""
        kind = kind_of(table)
        if table == "site":
            return self.create_site(actor, form)
        if kind.parent is not None:
            if parent_id is None:
                raise NotFound(f"a {kind.label} needs its {kind.parent}")
            parent = self.owner(kind.parent, parent_id)
        else:
            parent = None
        self.require_manage(actor, table, parent)
        values = self.values(actor, kind, form, old=None)
        self._check_create(actor, kind, values, parent_id)
        if kind.parent_column:
            values[kind.parent_column] = parent_id
        audit = self._audit(actor, "create", kind, parent, _summary(kind, {}, values))
        row_id = self.store.insert_row(table, values, audit)
        change_events: tuple[object, ...] = ()
        if table == "host":
            change_events = (events.HostAdded(**self._refs(row_id), agent=actor.username or ""),)
        return Change(table, row_id, "create", change_events)

    def update(self, actor: Actor, table: str, row_id: int, form: Mapping[str, Any], *,
               partial: bool = False, host_id: int | None = None,
               site_id: int | None = None) -> Change:
        """Change a row.  ``partial``: only the fields present in ``form`` (JSON API); else
        every field, an absent checkbox being false (HTML forms).  ``host_id``/``site_id``:
        where the request says the row is (checked)."""
        kind = kind_of(table)
        owner = require_under(self.store.owner_of(table, row_id), host_id=host_id,
                              site_id=site_id)
        self.require_manage(actor, table, owner if kind.parent or table == "site" else None)
        if not kind.editable:
            raise InvalidInput(f"a {kind.label} cannot be changed, only deleted and added again")
        old = self.store.get_row(table, row_id)
        if old is None:
            raise NotFound(f"no {kind.label} {row_id}")
        values = self.values(actor, kind, form, old=old, partial=partial)
        changed = {k: v for k, v in values.items() if getattr(old, k) != v}
        if table == "host_category" and "category_id" in changed:
            raise InvalidInput("the category of a host category cannot be changed",
                               field="category_id")
        mark = table in ("host", "site") and "private" in changed
        if changed:
            audit = self._audit(actor, "update", kind, owner,
                                _summary(kind, attrs.asdict(old), changed), row_id=row_id)
            self.store.update_row(table, row_id, changed, audit, mark_not_up2date=mark)
        change_events: tuple[object, ...] = ()
        if table == "host" and changed:
            change_events = (events.HostUpdated(**self._refs(row_id), agent=actor.username or ""),)
        return Change(table, row_id, "update", change_events)

    def delete(self, actor: Actor, table: str, row_id: int, *, host_id: int | None = None,
               site_id: int | None = None, parent_id: int | None = None) -> Change:
        """Delete a row and what it owns.  ``host_id``/``site_id``/``parent_id``: where the
        request says the row is (checked)."""
        kind = kind_of(table)
        owner = require_under(self.store.owner_of(table, row_id), host_id=host_id,
                              site_id=site_id, parent_id=parent_id)
        self.require_manage(actor, table, owner if kind.parent or table == "site" else None)
        old = self.store.get_row(table, row_id)
        if old is None:
            raise NotFound(f"no {kind.label} {row_id}")
        change_events: tuple[object, ...] = ()
        agent = actor.username or ""
        if table == "host":
            change_events = (events.HostDeleted(**self._refs(row_id), agent=agent),)
        elif table == "site":
            change_events = (events.SiteDeleted(site=self._site_ref(row_id), agent=agent),)
        audit = self._audit(actor, "delete", kind, owner, _title(kind, old), row_id=row_id)
        if table == "site_admin":
            self.store.remove_site_admin(row_id, audit)
        else:
            self.store.delete_row(table, row_id, audit)
        return Change(table, row_id, "delete", change_events)

    # -- values --------------------------------------------------------------------------------

    def values(self, actor: Actor, kind: Kind, form: Mapping[str, Any], *, old: Any | None,
               partial: bool = False) -> dict[str, Any]:
        """Parse ``form`` into column values.  Admin-only fields of a non-admin keep their
        stored value (``old``) or, for a new row, take their default; a blank password keeps
        the stored one."""
        values: dict[str, Any] = {}
        for field in kind.fields:
            if field.admin_only and not actor.is_admin:
                if old is None:
                    values[field.name] = field.default
                continue
            if partial and field.name not in form:
                continue
            raw = form.get(field.name)
            if field.kind == "password":
                secret = parse.text(raw, field.name, max_length=field.max_length)
                if secret is not None:
                    values[field.name] = hash_password(secret)
                elif old is None:
                    values[field.name] = None
                continue
            values[field.name] = self._parse(actor, kind, field, raw)
        return values

    def _parse(self, actor: Actor, kind: Kind, field: Field, raw: Any) -> Any:
        name = field.name
        empty = raw is None or (isinstance(raw, str) and not raw.strip())
        if field.kind == "bool":
            return parse.boolean(raw, name)
        if empty and not field.required:
            return field.default
        match field.kind:
            case "text" | "longtext":
                return parse.text(raw, name, max_length=field.max_length, required=field.required)
            case "int":
                return parse.integer(raw, name, minimum=field.minimum, maximum=field.maximum,
                                     required=field.required)
            case "country":
                return parse.country(raw, name)
            case "continent":
                return parse.continent(raw, name)
            case "netblock":
                network = parse.network(raw, name)
                if kind.table == "host_netblock":
                    check_netblock_size(actor, network, self.rules, name)
                return str(network)
            case "url":
                if kind.table != "host_category_url":
                    return parse.url(raw, name, schemes=WEB_SCHEMES, max_length=field.max_length)
                value = parse.url(raw, name, schemes=self.rules.url_schemes,
                                  max_length=field.max_length)
                check_url_rule(value, self.rules, name)
                return value
            case "hostname":
                return parse.hostname(raw, name)
            case "email":
                return parse.email(raw, name, required=field.required)
            case "username":
                return parse.username(raw, name, max_length=field.max_length)
            case "ref":
                assert field.ref is not None
                ref_id = parse.integer(raw, name, minimum=1, required=True)
                row = self.store.get_row(field.ref, ref_id) if ref_id is not None else None
                if row is None:
                    raise InvalidInput(f"{name}: no {kind_of(field.ref).label} {ref_id}",
                                       field=name)
                if field.ref == "category":
                    check_category_allowed(actor, row.admin_only, name)
                return ref_id
            case "directory":
                path = parse.text(raw, name, max_length=4096, required=True) or ""
                directory_id = self.store.directory_id(path.strip("/"))
                if directory_id is None:
                    raise InvalidInput(f"{name}: no directory {path!r} in the master tree",
                                       field=name)
                return directory_id
            case "country_ref":
                code = parse.country(raw, name)
                country_id = self.store.country_id(code)
                if country_id is None:
                    raise InvalidInput(f"{name}: invalid country code {code!r}", field=name)
                return country_id
        raise AssertionError(f"unhandled field kind {field.kind}")  # pragma: no cover

    def _check_create(self, actor: Actor, kind: Kind, values: Mapping[str, Any],
                      parent_id: int | None) -> None:
        if kind.table == "host_category_url" and self.store.url_exists(values["url"]):
            raise Conflict(f"url: {values['url']} is already registered", field="url")
        if kind.table == "site_admin" and parent_id is not None:
            if values["username"] in self.site_admins(parent_id):
                raise Conflict(f"username: {values['username']} already administers this site",
                               field="username")

    # -- audit and events ------------------------------------------------------------------------

    def _audit(self, actor: Actor, action: str, kind: Kind, owner: Owner | None,
               summary: str, row_id: int | None = None) -> AuditRecord:
        site_id = owner.site_id if owner else None
        host_id = owner.host_id if owner else None
        if kind.table == "site" and row_id is not None:
            site_id = row_id
        if kind.table == "host" and row_id is not None:
            host_id = row_id
        return AuditRecord(username=actor.username or "", action=action,
                           object_type=kind.table, object_id=row_id, site_id=site_id,
                           host_id=host_id, summary=summary)

    def _site_ref(self, site_id: int) -> events.SiteInfo:
        site = self.store.get_row("site", site_id)
        return events.SiteInfo(id=site_id, name=site.name, org_url=site.org_url,
                              admins=self.site_admins(site_id))

    def _refs(self, host_id: int) -> dict[str, Any]:
        host = self.store.get_row("host", host_id)
        return {
            "site": self._site_ref(host.site_id),
            "host": events.HostInfo(id=host.id, name=host.name, country=host.country,
                                   bandwidth=host.bandwidth_int, asn=host.asn,
                                   url=self.host_url(host.id)),
        }


def _title(kind: Kind, row: Any) -> str:
    return f"{kind.label} {getattr(row, kind.title_column, '')}".strip()


def _shown(field: Field, value: Any) -> str:
    return SECRET if field.kind == "password" else repr(value)


def _summary(kind: Kind, old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """``name: 'a' -> 'b'; private: False -> True`` (a create lists the values set)."""
    parts = []
    for name, value in new.items():
        try:
            field = kind.field(name)
        except KeyError:
            continue  # the parent column
        if name in old:
            parts.append(f"{name}: {_shown(field, old[name])} -> {_shown(field, value)}")
        elif value not in (None, field.default) or field.required:
            parts.append(f"{name}: {_shown(field, value)}")
    return "; ".join(parts)[:4000]
