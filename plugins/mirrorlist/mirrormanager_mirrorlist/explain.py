"""``explain=1``: why a ``/mirrorlist`` or ``/metalink`` answer is what it is, as JSON.

A separate path, taken only when the request says ``explain=1`` (the plain path does not run any
of this).  It takes the same steps as :meth:`.app.ListService.answer` -- target, client,
exclusion, the general selection (:func:`.selection.select`, which draws exactly as the plans
do) and the service's own renderer -- and reports beside the plain answer they give:

* the client: its address and where it came from (``ip=``, ``X-Forwarded-For``, the peer), its
  country (netblock override, GeoIP, none) and its AS (the ASN table);
* each tier tried (``netblock``, ``asn``, ``country`` for ``country=``, ``geoip_country``,
  ``continent``, ``global``), or why it was not tried, with the hosts it contributed (with
  their bandwidth weight and chance to come first in the tier) and the hosts it dropped and why
  (:data:`REASONS`);
* the hosts of the directory no tier tried (private ones, other countries);
* the final order and the cache generation.

The tier trace reads the cache only; the order is the selection's, so it is the order of the
plain answer in the document.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from mirrormanager_mirrorlist.cacheindex import CacheFormatError, CacheIndex
from mirrormanager_mirrorlist.exclusion import (
    excluded_hosts,
    excluded_names,
    url_host,
    without_hosts,
)
from mirrormanager_mirrorlist.families import family_bit, family_name, needs_global
from mirrormanager_mirrorlist.httpmessages import Answer, Request
from mirrormanager_mirrorlist.prefixes import format_ip
from mirrormanager_mirrorlist.selection import allowed_only, count_usable, protocol_prefixes, select
from mirrormanager_mirrorlist.targets import Client, Failure, find_target, identify_client
from mirrormanager_mirrorlist.views import DirectoryView

if TYPE_CHECKING:
    from mirrormanager_mirrorlist.app import ListService, Options

JSON = "application/json"

EXCLUDED = "excluded by the client"
NOT_ALLOWED = "not allowed for the client's country"
EARLIER = "listed in an earlier tier"
NOT_UP_TO_DATE = "not up to date (not in the directory's cache entry)"
NO_URL = "no URL for the directory"
PROTOCOL = "protocol: no URL of the protocols this answer lists"
PRIVATE = "private: only for clients in its netblocks or AS"
NOT_TRIED = "public, but no tier tried lists it"
#: every reason a host can be dropped for
REASONS = (EXCLUDED, NOT_ALLOWED, EARLIER, NOT_UP_TO_DATE, NO_URL, PROTOCOL, PRIVATE, NOT_TRIED)


def explain(service: ListService, request: Request, params: dict[str, str], index: CacheIndex,
            metalink: bool) -> Answer:
    """The JSON explanation of the answer to ``request`` (which asked for ``explain=1``)."""
    from mirrormanager_mirrorlist.app import CORRUPT_ENTRY, Choice, Options

    doc: dict[str, Any] = {
        "request": {"path": request.path, "query": request.query},
        "generation": index.generation,
        "cache_time": index.time,
    }
    target = find_target(index, params, metalink)
    if isinstance(target, Failure):
        return _finish(doc, service.failure(index, metalink, target))
    doc["target"] = {"directory": target.directory, "file": target.filename}
    forwarded_for = service.forwarded_for.client(request.forwarded_for, request.peer)
    client = identify_client(index, service.inputs.geoip, params, forwarded_for, request.peer)
    doc["client"] = _client(service, index, params, request, forwarded_for, client)
    if isinstance(client, Failure):
        return _finish(doc, service.failure(index, metalink, client))
    try:
        view = index.view(target.directory)
        details = index.file_details(view).get(target.filename or "") if metalink else None
    except CacheFormatError:
        return _finish(doc, service.failure(index, metalink, Failure(500, CORRUPT_ENTRY, True)))
    assert view is not None
    if metalink and not details:
        return _finish(doc, service.failure(index, metalink, Failure(
            404, f"{target.directory}/{target.filename or ''} not found or has not metalink")))
    names = excluded_names(params.get("exclude", ""))
    if isinstance(names, Failure):
        return _finish(doc, service.failure(index, metalink, names))
    excluded = excluded_hosts(index, view, names)
    filtered = without_hosts(view, excluded) if excluded else view
    options = Options.of(params, metalink, request.accept)
    doc["parameters"] = {
        "country": options.countries or None, "protocol": options.protocol,
        "netblock": options.use_netblocks, "redirect": options.redirect, "exclude": names,
        "excluded_hosts": sorted(excluded), "minimum": service.minimum,
    }
    bit = family_bit(client.address)
    unreachable = index.unreachable(filtered, bit)
    doc["client"]["family"] = family_name(bit)
    doc["client"]["hosts_not_reaching_family"] = sorted(unreachable)
    selection = select(index, filtered, address=client.address, client_country=client.country,
                       countries=options.countries, use_netblocks=options.use_netblocks,
                       protocol=options.protocol, minimum=service.minimum,
                       asn_table=service.inputs.asn, rng=service.rng, unreachable=unreachable)
    answer = service.render(index, filtered, target, options,
                            Choice(selection.header, selection.hosts), details)
    listed = rendered_hosts(index, filtered, selection.hosts, options, metalink)
    trace = TierTrace(index, view, filtered, excluded, client.country, set(listed), unreachable)
    doc["tiers"] = trace.run(client, options, service)
    doc["found_via"] = selection.found_via
    doc["other_hosts"] = trace.untried()
    doc["order"] = [
        {"rank": rank, **trace.describe(host), "tier": trace.tier_of.get(host),
         "urls": urls}
        for rank, (host, urls) in enumerate(
            index.host_urls(filtered, listed, target.filename), start=1)
    ]
    return _finish(doc, answer)


def rendered_hosts(index: CacheIndex, view: DirectoryView, hosts: Sequence[int],
                   options: Options, metalink: bool) -> list[int]:
    """The hosts of ``hosts`` the answer lists, in order: those with URLs here, and of those,
    the ones with a URL of the protocols the answer lists (all of them when none has one;
    none for a redirect)."""
    in_view = [h for h in dict.fromkeys(hosts) if h in view.by_host]
    if options.redirect:
        prefixes: tuple[str, ...] = ("https:", "http:")
    elif options.protocol is not None:
        prefixes = protocol_prefixes(options.protocol)
    elif metalink:
        return in_view
    else:
        prefixes = ("https:", "http:", "ftp:")
    kept = [h for h in in_view if index.has_url_with(view, h, prefixes)]
    return kept if kept or options.redirect else in_view


class TierTrace:
    """The tiers of :func:`.selection.select`, host by host, with the reason for every drop."""

    def __init__(self, index: CacheIndex, view: DirectoryView, filtered: DirectoryView,
                 excluded: set[int], client_country: str, listed: set[int],
                 unreachable: frozenset[int] = frozenset()) -> None:
        self.index = index
        #: hosts the client's address family does not reach (families.py): listed last
        self.unreachable = unreachable
        self.view = view
        self.filtered = filtered
        self.excluded = excluded
        self.client_country = client_country
        self.listed = listed
        #: host -> the tier it was taken from
        self.tier_of: dict[int, str] = {}
        self._seen: set[int] = set()
        #: every host a tier listed (taken or dropped)
        self._considered: set[int] = set()
        self._in_entry = set(view.global_ids).union(*view.by_country.values())

    def run(self, client: Client, options: Options, service: ListService) -> list[dict[str, Any]]:
        index, view = self.index, self.view
        tiers: list[dict[str, Any]] = []
        raw: list[Sequence[int]] = []
        network_why = ("country= given" if options.countries
                       else "netblock=0 given" if not options.use_netblocks else None)
        if network_why is None:
            hits = [(hit.prefix_length, host) for hit in index.host_netblocks.containing(
                *client.address) for host in hit.value]
            prefix = {host: _network(client.address, length) for length, host in hits}
            tier = self.tier("netblock", [h for _, h in hits], weighted=False)
            for entry in tier["contributed"] + tier["dropped"]:
                entry["netblock"] = prefix[entry["host"]]
            tiers.append(tier)
            raw.append([h for _, h in hits])
            asn = service.inputs.asn.lookup(*client.address) if service.inputs.asn else None
            asn_hosts = list(index.host_asn.get(asn, ())) if asn is not None else []
            if asn_hosts:
                tiers.append({**self.tier("asn", asn_hosts, weighted=False), "asn": asn})
                raw.append(asn_hosts)
            else:
                tiers.append(_not_tried("asn", "no ASN table loaded" if not service.inputs.asn
                                        else "the address is in no AS of the table"
                                        if asn is None else f"no host in AS {asn}"))
        else:
            tiers += [_not_tried("netblock", network_why), _not_tried("asn", network_why)]
        only_country = False
        if options.countries:
            requested = sorted(set(options.countries.split(",")))
            filtered = self.filtered
            country_hosts: list[int] = []
            found = False
            for country in requested:
                upper = country.upper()
                country_hosts += (view.global_ids if upper == "GLOBAL"
                                  else view.by_country.get(upper, ()))
                found = found or bool(filtered.global_ids if upper == "GLOBAL"
                                      else filtered.by_country.get(upper))
            tiers.append({**self.tier("country", country_hosts, allowed=True),
                          "countries": requested})
            if not found:
                neighbours = [other for country in requested
                              for other in index.continents.neighbours(country.upper())]
                continent = [h for other in neighbours for h in view.by_country.get(other, ())]
                found = any(filtered.by_country.get(other) for other in neighbours)
                if found:
                    tiers.append({**self.tier("continent", continent, allowed=True),
                                  "countries": [c for c in neighbours if c in view.by_country]})
            only_country = found
        else:
            tiers.append(_not_tried("country", "no country= given"))
        if only_country:
            if tiers[-1]["tier"] != "continent":
                tiers.append(_not_tried("continent", "country= found hosts"))
            tiers.insert(-1, _not_tried("geoip_country", "country= found hosts"))
            tiers.append(_not_tried("global", "country= found hosts"))
            return tiers
        upper = self.client_country.upper()
        geo = view.by_country.get(upper, ())
        tiers.append({**self.tier("geoip_country", geo), "country": self.client_country})
        continent = [h for other in index.continents.neighbours(upper)
                     for h in view.by_country.get(other, ())]
        tiers.append({**self.tier("continent", continent), "countries": [
            other for other in index.continents.neighbours(upper) if other in view.by_country]})
        raw += [geo, continent]
        prefixes = protocol_prefixes(options.protocol) if options.protocol is not None else None
        usable = count_usable(index, self.filtered, [h for tier in raw for h in tier], prefixes,
                              service.minimum)
        candidates = [h for tier in raw for h in tier]
        allowed_global = allowed_only(self.filtered.global_ids, index.host_allowed,
                                      self.client_country)
        if usable < service.minimum:
            tiers.append({**self.tier("global", view.global_ids, allowed=True),
                          "why": f"{usable} usable hosts < minimum {service.minimum}"})
        elif needs_global(candidates, self.filtered.by_host, self.unreachable, allowed_global):
            tiers.append({**self.tier("global", view.global_ids, allowed=True),
                          "why": "no host found so far reaches the client's address family"})
        else:
            tiers.append(_not_tried(
                "global", f"{usable} usable hosts >= minimum {service.minimum}"))
        return tiers

    def tier(self, name: str, hosts: Iterable[int], *, allowed: bool = False,
             weighted: bool = True) -> dict[str, Any]:
        """One tier: the hosts it takes (in list order) and the ones it drops, with why."""
        contributed: list[dict[str, Any]] = []
        dropped: list[dict[str, Any]] = []
        for host in hosts:
            self._considered.add(host)
            reason = self.reason(host, allowed)
            if reason is not None:
                dropped.append({**self.describe(host), "reason": reason})
                continue
            self._seen.add(host)
            self.tier_of[host] = name
            entry = self.describe(host)
            if weighted:
                entry["weight"] = self.index.host_bandwidth.get(host, 0)
            contributed.append(entry)
        if weighted:
            total = sum(e["weight"] for e in contributed if e["weight"] > 0)
            for entry in contributed:
                entry["first_chance"] = round(max(entry["weight"], 0) / total, 4) if total else None
        return {"tier": name, "tried": True,
                "order": "by bandwidth" if weighted else "shuffled, most specific first"
                if name == "netblock" else "shuffled",
                "contributed": contributed, "dropped": dropped}

    def reason(self, host: int, allowed: bool) -> str | None:
        if host in self.excluded:
            return EXCLUDED
        if allowed:
            countries = self.index.host_allowed.get(host)
            if countries is not None and self.client_country not in countries:
                return NOT_ALLOWED
        if host in self._seen:
            return EARLIER
        if host not in self.view.by_host:
            return NO_URL if host in self._in_entry else NOT_UP_TO_DATE
        if host not in self.listed:
            return PROTOCOL
        return None

    def untried(self) -> list[dict[str, Any]]:
        """The directory's hosts that no tier tried, and why they are not in the answer."""
        public = self.view.global_set
        return [{**self.describe(h), "reason": EXCLUDED if h in self.excluded
                 else NOT_TRIED if h in public else PRIVATE}
                for h in sorted(self.view.by_host) if h not in self._considered]

    def describe(self, host: int) -> dict[str, Any]:
        ids = self.view.by_host.get(host)
        name = url_host(self.index.hcurls.get(ids[0], "")) if ids else None
        return {"host": host, "name": name, "country": self.index.host_country.get(host) or None,
                "reaches_client_family": host not in self.unreachable}


def _not_tried(name: str, why: str) -> dict[str, Any]:
    return {"tier": name, "tried": False, "why": why, "contributed": [], "dropped": []}


def _network(address: tuple[int, int], length: int) -> str:
    return str(ipaddress.ip_network(f"{format_ip(*address)}/{length}", strict=False))


def _client(service: ListService, index: CacheIndex, params: dict[str, str], request: Request,
            forwarded_for: str | None, client: Client | Failure) -> dict[str, Any]:
    record: dict[str, Any] = {
        "address_from": "ip=" if params.get("ip") else "X-Forwarded-For"
        if forwarded_for is not None else "peer",
        "peer": request.peer,
        "forwarded_for": request.forwarded_for,
        "forwarded_for_trusted": forwarded_for is not None,
        "trusted_proxies": [str(n) for n in service.forwarded_for.proxies],
    }
    if isinstance(client, Failure):
        return record
    record["address"] = client.ip_text
    if index.netblock_country.first_containing(*client.address) is not None:
        record["country_from"] = "netblock (the cache's netblock-country table)"
    elif client.country != "N/A":
        record["country_from"] = "GeoIP"
    else:
        record["country_from"] = "none (no netblock override, GeoIP "  + (
            "knows nothing of the address)" if service.inputs.geoip else "not loaded)")
    record["country"] = client.country
    asn_table = service.inputs.asn
    asn = asn_table.lookup(*client.address) if asn_table is not None else None
    record["asn"] = asn
    record["asn_from"] = ("ASN table (global netblocks)" if asn is not None
                          else "none (not in the ASN table)" if asn_table is not None
                          else "none (no ASN table loaded)")
    return record


def _finish(doc: dict[str, Any], answer: Answer) -> Answer:
    doc["answer"] = {"status": answer.status, "content_type": answer.content_type,
                     "location": answer.location,
                     "headers": [[name, value] for name, value in answer.headers],
                     "body": answer.body}
    return Answer(200, JSON, json.dumps(doc, indent=1) + "\n", None, doc["generation"])
