"""What an import will write: the one place that decides it.

:func:`plan_import` turns a parsed file and the database's current deployment into the *target*:
every entity the file names, exactly as the database will hold it after the write.  The store
writes the target (:meth:`mmcore.store.DeploymentStore.apply_deployment` makes each named entity
equal to it, and checks that it did); the change list is :func:`mmcore.deployment_diff.diff_deployments`
of the current deployment against the target.  So what ``import`` prints is what it writes.

The choices made here:

- **Hosts the file does not name.**  A site entry describes the site and the hosts it lists.  A
  host of that site that the file does not list is kept as it is (it goes into the target
  unchanged, so it shows no change), unless ``prune`` is set: then it is left out of the target,
  which removes it with everything it owns.  Sites the file does not name are never touched.
- **Passwords.**  A clear-text ``password`` keeps the stored hash when it still verifies against
  it (only a different password is a change); a site entry without a password keeps the stored one.
- **created_by** is provenance, not configuration: when the file does not give it, the stored value
  stays (``import`` for a site the import creates).
- **Values unique across the database** (a host category URL; a host's allowed country, which
  MirrorManager's schema makes unique) are checked against the state after the write, so a URL may
  move from a pruned host to a new one in the same import.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs

from mmcore.deployment import Deployment, HostSpec, SiteSpec
from mmcore.deployment_diff import diff_deployments
from mmcore.deployment_file import ParsedFile, Problem
from mmcore.passwords import hash_password, verify_password
from mmcore.toml_locator import KeyPath

DEFAULT_CREATED_BY = attrs.fields(SiteSpec).created_by.default


@attrs.frozen
class ImportPlan:
    """:ivar target: every named entity as it will be stored.
    :ivar changes: lines saying how the database changes (``+`` added, ``-`` removed, ``~``).
    :ivar unnamed_hosts: ``(site, host)`` of named sites that the file does not list: kept, or
        removed when ``pruned``."""

    target: Deployment
    changes: tuple[str, ...]
    unnamed_hosts: tuple[tuple[str, str], ...]
    pruned: bool

    def note(self) -> str:
        """`` (2 hosts not in the file left alone; --prune removes them)`` or ``""``."""
        count = len(self.unnamed_hosts)
        if not count or self.pruned:
            return ""
        hosts = "1 host" if count == 1 else f"{count} hosts"
        them = "it" if count == 1 else "them"
        return f" ({hosts} of named sites not in the file left alone; --prune removes {them})"


def plan_import(current: Deployment, parsed: ParsedFile, *, prune: bool = False) -> ImportPlan:
    """The target of importing ``parsed`` into a database holding ``current``.

    :raises DeploymentFileError: when the target breaks a database-wide uniqueness rule.
    """
    stored = {site.name: site for site in current.sites}  # parse refused ambiguous names
    sites: list[SiteSpec] = []
    unnamed: list[tuple[str, str]] = []
    for site in parsed.deployment.sites:
        old = stored.get(site.name)
        site = _keep_stored_values(site, old, parsed)
        if old is not None:
            named = {host.name for host in site.hosts}
            rest = [host for host in old.hosts if host.name not in named]
            unnamed += [(site.name, host.name) for host in rest]
            if not prune:
                site = attrs.evolve(site, hosts=(*site.hosts, *rest))
        sites.append(site)
    target = attrs.evolve(parsed.deployment, sites=sites)
    problems = list(_unique_across_database(current, target, parsed))
    if problems:
        raise parsed.error(problems)
    return ImportPlan(
        target=target,
        changes=tuple(diff_deployments(current, target)),
        unnamed_hosts=tuple(unnamed),
        pruned=prune,
    )


def _keep_stored_values(site: SiteSpec, old: SiteSpec | None, parsed: ParsedFile) -> SiteSpec:
    given = parsed.given.get(site.name, frozenset())
    password_hash = site.password_hash
    plain = parsed.plain_passwords.get(site.name)
    stored_hash = old.password_hash if old else None
    if plain is not None:
        same = stored_hash is not None and verify_password(plain, stored_hash)
        password_hash = stored_hash if same else hash_password(plain)
    elif "password_hash" not in given:
        password_hash = stored_hash
    created_by = site.created_by
    if "created_by" not in given:
        created_by = old.created_by if old else DEFAULT_CREATED_BY
    return attrs.evolve(site, password_hash=password_hash, created_by=created_by)


def _unique_across_database(
    current: Deployment, target: Deployment, parsed: ParsedFile
) -> Iterator[Problem]:
    """host_category_url.url and host_country_allowed.country hold each value once in the
    whole database: check the state after the write (untouched sites, then the file's)."""
    named = {site.name for site in target.sites}
    untouched = [site for site in current.sites if site.name not in named]
    url_owner: dict[str, str] = {}
    country_owner: dict[str, str] = {}
    from_file = {key[1:3] for key in parsed.paths if key[0] == "host"}
    hosts = [(site, host) for site in (*untouched, *target.sites) for host in site.hosts]
    # what stays as it is owns its values first; the file's hosts are checked against it
    hosts.sort(key=lambda pair: (pair[0].name, pair[1].name) in from_file)
    for site, host in hosts:
        in_file = (site.name, host.name) in from_file
        where = f"site {site.name!r} host {host.name!r}"
        owner = where if in_file else f"{where} in the database"
        for category, key, url in _urls(host):
            if url in url_owner:
                path = parsed.paths.get(("url", site.name, host.name, category, key, url))
                yield Problem(path or _host_path(parsed, site, host),
                              f"URL {url!r} is also used by {url_owner[url]} (a URL belongs "
                              "to one host category)")  # fmt: skip
            else:
                url_owner[url] = f"{owner} category {category!r}"
        for code in host.countries_allowed:
            if code in country_owner:
                path = parsed.paths.get(("country_allowed", site.name, host.name, code))
                yield Problem(path or _host_path(parsed, site, host), (
                    f"country {code!r} is already restricted to {country_owner[code]} (only one "
                    "host may list a country in countries_allowed, as in MirrorManager2)"))
            else:
                country_owner[code] = owner


def _urls(host: HostSpec) -> Iterable[tuple[str, str, str]]:
    for hc in host.categories:
        for url in hc.urls:
            yield hc.name, "urls", url
        for url in hc.private_urls:
            yield hc.name, "private_urls", url


def _host_path(parsed: ParsedFile, site: SiteSpec, host: HostSpec) -> KeyPath:
    return parsed.paths.get(("host", site.name, host.name)) or parsed.paths.get(
        ("site", site.name), ()
    )
