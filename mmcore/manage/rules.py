"""The permission rules: who may do what with which object.

Roles (MirrorManager2's, enforced on the server for every object id):

* anonymous: public pages only;
* a logged-in user: creates sites (and becomes the site's first admin);
* a site admin (their user name is in the site's ``site_admin`` rows): everything under that
  site -- the site, its admins, hosts and all they own -- except admin-only kinds (peer ASNs,
  host locations) and admin-only fields (``admin_active``, ``disable_reason``, private URLs,
  ``always_up2date``), which keep their stored value on a site admin's edit; admin-only
  categories cannot be added; netblocks larger than the configured prefix lengths are refused;
* a MirrorManager admin (a member of a configured admin group): everything, every site, and the
  admin tables.

Each function raises a :class:`mmcore.manage.errors.ManageError` subclass or returns quietly.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Iterable

import attrs

from mmcore.manage.catalog import Kind
from mmcore.manage.errors import InvalidInput, NotFound, PermissionDenied
from mmcore.manage.store import Owner


@attrs.frozen
class Actor:
    """Who asks: a user name (``None``: anonymous) and whether they are a MirrorManager admin."""

    username: str | None = None
    is_admin: bool = False
    groups: tuple[str, ...] = ()

    @property
    def authenticated(self) -> bool:
        return self.username is not None

    @classmethod
    def of(cls, username: str | None, groups: Iterable[str],
           admin_groups: Collection[str]) -> Actor:
        """An actor whose admin right comes from its groups: a member of one of
        ``admin_groups`` (or whose user name is listed there, as MirrorManager2 allows) is an
        admin."""
        groups = tuple(sorted(set(groups)))
        is_admin = username is not None and (
            bool(set(groups) & set(admin_groups)) or username in admin_groups
        )
        return cls(username, is_admin, groups)


ANONYMOUS = Actor()


@attrs.frozen
class ManageRules:
    """The configurable rules (``[ui]`` keys of the same names)."""

    #: the largest netblocks a site admin may add: shortest IPv4 / IPv6 prefix length
    ipv4_netblock_max_prefix: int = 16
    ipv6_netblock_max_prefix: int = 32
    #: a host category URL must match this (MirrorManager2's ``MM_PROTOCOL_REGEX``: no new
    #: FTP URLs); empty: no rule
    url_protocol_regex: str = r"^(?!ftp)(.*)$"
    #: URL schemes a host category URL may use
    url_schemes: frozenset[str] = frozenset({"http", "https", "rsync", "ftp"})


def require_login(actor: Actor) -> None:
    if not actor.authenticated:
        raise PermissionDenied("log in first")


def require_admin(actor: Actor) -> None:
    require_login(actor)
    if not actor.is_admin:
        raise PermissionDenied("only MirrorManager admins may do this")


def is_site_admin(actor: Actor, site_admins: Collection[str]) -> bool:
    """``actor`` may manage the site whose admins are ``site_admins``."""
    return actor.authenticated and (actor.is_admin or actor.username in site_admins)


def require_site_admin(actor: Actor, site_admins: Collection[str]) -> None:
    require_login(actor)
    if not is_site_admin(actor, site_admins):
        raise PermissionDenied("you are not an admin of this site")


def require_kind(actor: Actor, kind: Kind) -> None:
    """Admin-only kinds (admin tables, peer ASNs, host locations) are for admins only."""
    if kind.admin_only:
        require_admin(actor)


def require_under(owner: Owner | None, *, host_id: int | None = None,
                  site_id: int | None = None, parent_id: int | None = None) -> Owner:
    """The row exists and sits where the request says (its host, site or parent): an id of
    another site's object in a URL is answered as not found, never acted on."""
    if owner is None:
        raise NotFound("no such object")
    if ((host_id is not None and owner.host_id != host_id)
            or (site_id is not None and owner.site_id != site_id)
            or (parent_id is not None and owner.parent_id != parent_id)):
        raise NotFound("no such object here")
    return owner


def check_netblock_size(actor: Actor, network: ipaddress.IPv4Network | ipaddress.IPv6Network,
                        rules: ManageRules, field: str = "netblock") -> None:
    """Site admins may not add netblocks larger than the configured prefix lengths."""
    if actor.is_admin:
        return
    limit = rules.ipv4_netblock_max_prefix if network.version == 4 else \
        rules.ipv6_netblock_max_prefix
    if network.prefixlen < limit:
        raise InvalidInput(
            f"{field}: {network} is larger than /{limit}, the largest IPv{network.version} "
            "block a site admin may add (ask a MirrorManager admin)",
            field=field,
        )


def check_url_rule(url: str, rules: ManageRules, field: str = "url") -> None:
    """The configured protocol rule (MirrorManager2's ``MM_PROTOCOL_REGEX``)."""
    if rules.url_protocol_regex and not re.match(rules.url_protocol_regex, url):
        scheme = url.split(":", 1)[0]
        raise InvalidInput(f"{field}: {scheme} URLs are not accepted here", field=field)


def check_category_allowed(actor: Actor, category_admin_only: bool | None,
                           field: str = "category_id") -> None:
    if category_admin_only and not actor.is_admin:
        raise PermissionDenied(f"{field}: only MirrorManager admins may add this category",
                               field=field)
