"""The declarative deployment: what ``mirrormanager import`` reads and ``export`` writes.

A :class:`Deployment` is a nested, order-stable picture of the hand-managed part of the database
(arches, products, categories, sites, hosts, their categories and URLs, redirects).  It is plain
data: parsing and validating a TOML file lives in :mod:`mmcore.deployment_file`, computing what
an import would change in :mod:`mmcore.deployment_diff`, and storing it in the storage backend
(:meth:`mmcore.store.DeploymentStore.apply_deployment`).

Lists are kept sorted by their natural key so that two deployments with the same content compare
equal, whatever order a file or a database listed them in.
"""

from __future__ import annotations

import attrs


def _sorted_names(values: list[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


@attrs.frozen
class ArchSpec:
    name: str
    primary_arch: bool = True
    publiclist: bool = True


@attrs.frozen
class ProductSpec:
    name: str
    publiclist: bool = True


@attrs.frozen
class CategorySpec:
    name: str
    product: str
    topdir: str
    canonicalhost: str = "http://download.fedora.redhat.com"
    publiclist: bool = True
    admin_only: bool = False
    geo_dns_domain: str | None = None


@attrs.frozen
class HostCategorySpec:
    name: str  # category name
    always_up2date: bool = False
    urls: tuple[str, ...] = attrs.field(default=(), converter=_sorted_names)
    # URLs only for downstream/internal use (rsync for other mirrors), never handed to clients
    private_urls: tuple[str, ...] = attrs.field(default=(), converter=_sorted_names)


@attrs.frozen
class HostSpec:
    name: str
    country: str
    bandwidth_int: int = 100
    private: bool = False
    asn: int | None = None
    asn_clients: bool = True
    internet2: bool = False
    internet2_clients: bool = False
    max_connections: int = 1
    admin_active: bool = True
    user_active: bool = True
    comment: str | None = None
    robot_email: str | None = None
    netblocks: tuple[str, ...] = attrs.field(default=(), converter=_sorted_names)
    countries_allowed: tuple[str, ...] = attrs.field(default=(), converter=_sorted_names)
    peer_asns: tuple[int, ...] = attrs.field(default=(), converter=lambda v: tuple(sorted(set(v))))
    categories: tuple[HostCategorySpec, ...] = attrs.field(
        default=(), converter=lambda v: tuple(sorted(v, key=lambda c: c.name))
    )


@attrs.frozen
class SiteSpec:
    name: str
    # a salted hash (see mmcore.passwords); import hashes a plain ``password`` before building this
    password_hash: str | None = None
    org_url: str | None = None
    private: bool = False
    admin_active: bool = True
    user_active: bool = True
    all_sites_can_pull_from_me: bool = False
    downstream_comments: str | None = None
    email_on_drop: bool = False
    email_on_add: bool = False
    created_by: str = "import"
    admins: tuple[str, ...] = attrs.field(default=(), converter=_sorted_names)
    hosts: tuple[HostSpec, ...] = attrs.field(
        default=(), converter=lambda v: tuple(sorted(v, key=lambda h: h.name))
    )


@attrs.frozen
class RepositoryRedirectSpec:
    from_repo: str
    to_repo: str | None


@attrs.frozen
class CountryContinentRedirectSpec:
    country: str
    continent: str


@attrs.frozen
class Deployment:
    arches: tuple[ArchSpec, ...] = attrs.field(
        default=(), converter=lambda v: tuple(sorted(v, key=lambda a: a.name))
    )
    products: tuple[ProductSpec, ...] = attrs.field(
        default=(), converter=lambda v: tuple(sorted(v, key=lambda p: p.name))
    )
    categories: tuple[CategorySpec, ...] = attrs.field(
        default=(), converter=lambda v: tuple(sorted(v, key=lambda c: c.name))
    )
    sites: tuple[SiteSpec, ...] = attrs.field(
        default=(), converter=lambda v: tuple(sorted(v, key=lambda s: s.name))
    )
    repository_redirects: tuple[RepositoryRedirectSpec, ...] = attrs.field(
        default=(), converter=lambda v: tuple(sorted(v, key=lambda r: r.from_repo))
    )
    country_continent_redirects: tuple[CountryContinentRedirectSpec, ...] = attrs.field(
        default=(), converter=lambda v: tuple(sorted(v, key=lambda r: r.country))
    )
