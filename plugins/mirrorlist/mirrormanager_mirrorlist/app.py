"""One request in, one answer out: upstream's handler as four steps.

:meth:`ListService.answer` routes a :class:`~.httpmessages.Request` and then runs, each step a
function of its own: the **target** (what directory or file the request names:
``targets.find_target``), the **client** (its address and country:
``targets.identify_client``), the **selection** (which hosts, in which order:
:meth:`ListService.choose`, through a per-(directory, country) plan where one applies, else
``selection.select``) and the **rendering** (the text list, the metalink document or the
redirect: :meth:`ListService.render`).  A step that cannot go on returns a
:class:`~.targets.Failure`, answered by :meth:`ListService.failure`.

The service is independent of the HTTP server (tests call :meth:`ListService.answer` directly);
it reads the current generation from its :class:`InputsView` once per request, so a reload
swaps everything at once.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol

from mirrormanager_mirrorlist.cacheindex import CacheFormatError, CacheIndex
from mirrormanager_mirrorlist.exclusion import excluded_hosts, excluded_names, without_hosts
from mirrormanager_mirrorlist.families import IPV4, IPV6, family_bit, split
from mirrormanager_mirrorlist.httpmessages import Answer, Request
from mirrormanager_mirrorlist.links import duplicate_links
from mirrormanager_mirrorlist.metalink4 import (
    METALINK4,
    metalink4_document,
    repr_digest,
    wants_metalink4,
)
from mirrormanager_mirrorlist.plans import plan_for, shuffled
from mirrormanager_mirrorlist.prefixes import AsnTable
from mirrormanager_mirrorlist.proxies import ForwardedFor
from mirrormanager_mirrorlist.render import (
    metalink_document,
    metalink_failure,
    metalink_for,
    metalink_head,
    trim_urls,
)
from mirrormanager_mirrorlist.selection import (
    network_order,
    network_tiers,
    protocol_prefixes,
    select,
)
from mirrormanager_mirrorlist.targets import (
    Client,
    Failure,
    GeoLookup,
    Target,
    arch_for_log,
    find_target,
    identify_client,
    parse_query,
)
from mirrormanager_mirrorlist.views import DirectoryView, FileDetail

log = logging.getLogger(__name__)

TEXT = "text/plain"
METALINK = "application/metalink+xml"
NOT_OUR_KIND = "We don't serve their kind here!"
#: a cache entry that does not parse (only without load-time validation), answered plainly
CORRUPT_ENTRY = "mirrorlist cache entry is corrupt, try again after the next cache update"
REDIRECT_PREFIXES = ("https:", "http:")
DEFAULT_PREFIXES = ("https:", "http:", "ftp:")


class AccessSink(Protocol):
    def record(self, ip: str, country: str, repo: str, arch: str) -> None: ...


class InputsView(Protocol):
    @property
    def index(self) -> CacheIndex | None: ...

    @property
    def asn(self) -> AsnTable | None: ...

    @property
    def geoip(self) -> GeoLookup | None: ...


class Options(NamedTuple):
    """The parameters that shape the selection and the rendering."""

    #: ``country=`` as given ("" when absent)
    countries: str
    protocol: str | None
    #: ``netblock=`` absent or ``1``: netblock and ASN tiers
    use_netblocks: bool
    #: mirrorlist mode with ``redirect``: a 302 to the first http(s) URL
    redirect: bool
    #: ``time``: the database-creation-time header line
    time: bool
    #: metalink mode with ``v=4`` or ``Accept: application/metalink4+xml``: RFC 5854
    metalink4: bool = False

    @classmethod
    def of(cls, params: dict[str, str], metalink: bool, accept: str | None = None) -> Options:
        return cls(params.get("country", ""), params.get("protocol"),
                   params.get("netblock", "1") == "1", not metalink and "redirect" in params,
                   "time" in params, metalink and wants_metalink4(params, accept))


class Choice(NamedTuple):
    """The selection: the hosts in answer order, or (the planned hot path) their default
    base URLs in answer order."""

    #: the header fragments after the target's (``Using ASN … ``, ``country = DE ``, …)
    header: str
    #: host ids in answer order, unique; may include hosts without URLs here
    hosts: Sequence[int]
    #: each host's default base URL ("" for none), when the plan rendered them already
    bases: Sequence[str] | None = None
    #: the tier the first host came from (``netblocks``, ``asn``, ``country``, ``geoip``,
    #: ``continent``, ``global``; ``none``: no host), for the metrics
    tier: str = "none"


class ListService:
    def __init__(
        self,
        inputs: InputsView,
        *,
        minimum: int = 5,
        access_log: AccessSink | None = None,
        forwarded_for: ForwardedFor | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] | None = None,
        use_plans: bool = True,
    ) -> None:
        self.inputs = inputs
        self.minimum = minimum
        self.access_log = access_log
        #: which ``X-Forwarded-For`` to believe (default: any peer's, as upstream)
        self.forwarded_for = forwarded_for or ForwardedFor()
        #: the header is taken as it comes (upstream's rule: any peer's, no proxy list)
        self._header_as_is = self.forwarded_for.trusted and not self.forwarded_for.proxies
        self.rng = rng or random.Random()
        self.clock = clock
        #: answer through per-(directory, country) plans where they apply (plans.py); off:
        #: every answer takes the general path (same answers, same draws; for tests)
        self.use_plans = use_plans
        #: the selection of the last answer that made one (the metrics read it, and reset it
        #: to ``None``, around each call of :meth:`answer`)
        self.last_choice: Choice | None = None
        #: the URL lines of the last answer whose choice carried rendered ``bases`` (the
        #: metrics read it with :attr:`last_choice`: counted while joining, not again)
        self.last_listed = 0

    # -- routing --------------------------------------------------------------------------

    def answer(self, request: Request) -> Answer:
        """The answer to one request (the HTTP server's handler)."""
        index = self.inputs.index
        path = request.path
        if path == "/healthz":
            if index is None:
                return Answer(503, TEXT, "no cache loaded\n")
            return Answer(200, TEXT, f"ok generation={index.generation}\n", None, index.generation)
        metalink = path.endswith("/metalink")
        if not metalink and not path.endswith("/mirrorlist"):
            return Answer(404, None, NOT_OUR_KIND)
        if index is None:
            return Answer(503, TEXT, "no mirror list cache is loaded yet\n")
        params = parse_query(request.query)
        if "explain" in params and params["explain"] == "1":
            from mirrormanager_mirrorlist.explain import explain

            return explain(self, request, params, index, metalink)
        target = find_target(index, params, metalink)
        if isinstance(target, Failure):
            return self.failure(index, metalink, target)
        forwarded_for = (request.forwarded_for if self._header_as_is
                         else self.forwarded_for.client(request.forwarded_for, request.peer))
        client = identify_client(index, self.inputs.geoip, params, forwarded_for, request.peer)
        if isinstance(client, Failure):
            return self.failure(index, metalink, client)
        if self.access_log is not None and "repo" in params and "arch" in params:
            self.access_log.record(client.ip_text, client.country, params["repo"],
                                   arch_for_log(params))
        try:
            view = index.view(target.directory)
            details = index.file_details(view).get(target.filename or "") if metalink else None
        except CacheFormatError:
            return self.failure(index, metalink, Failure(500, CORRUPT_ENTRY, plain=True))
        assert view is not None  # find_target checked the directory
        if metalink and not details:
            return self.failure(index, metalink, Failure(
                404, f"{target.directory}/{target.filename or ''} not found or has not metalink"))
        if "exclude" in params:
            names = excluded_names(params["exclude"])
            if isinstance(names, Failure):
                return self.failure(index, metalink, names)
            view = without_hosts(view, excluded_hosts(index, view, names))
        options = Options.of(params, metalink, request.accept)
        choice = self.last_choice = self.choose(index, view, target, client, options, metalink)
        return self.render(index, view, target, options, choice, details)

    def failure(self, index: CacheIndex, metalink: bool, failure: Failure) -> Answer:
        if metalink and not failure.plain:
            return Answer(failure.status, METALINK, metalink_failure(failure.text, self._now()),
                          None, index.generation)
        return Answer(failure.status, None, failure.text, None, index.generation)

    def _now(self) -> float | None:
        return self.clock() if self.clock is not None else None

    # -- selection ------------------------------------------------------------------------

    def choose(self, index: CacheIndex, view: DirectoryView, target: Target, client: Client,
               options: Options, metalink: bool) -> Choice:
        """The hosts of the answer, in order: through the directory's plan for the client's
        country when the request has no ``country=``, ``protocol=`` or ``redirect``, else
        (or when the plan cannot apply) the general selection."""
        if (self.use_plans and not options.countries and options.protocol is None
                and not options.redirect):
            hot = not metalink and target.filename is None
            planned = self._planned(index, view, client, options.use_netblocks, hot)
            if planned is not None:
                header, items, tier = planned
                return Choice(header, (), items, tier) if hot else Choice(header, items, None, tier)
        selection = select(
            index,
            view,
            address=client.address,
            client_country=client.country,
            countries=options.countries,
            use_netblocks=options.use_netblocks,
            protocol=options.protocol,
            minimum=self.minimum,
            asn_table=self.inputs.asn,
            rng=self.rng,
            unreachable=index.unreachable(view, family_bit(client.address)),
        )
        if log.isEnabledFor(logging.DEBUG):
            log.debug("mirrorlist: %s found its best mirror from %s", client.ip_text,
                      selection.found_via)
        return Choice(selection.header, selection.hosts, None, selection.found_via)

    def _planned(
        self,
        index: CacheIndex,
        view: DirectoryView,
        client: Client,
        use_netblocks: bool,
        want_lines: bool,
    ) -> tuple[str, list[Any], str] | None:
        """The selection through the directory's :class:`~.plans.TierPlan` for the client's
        country: (header fragments, default bases or host ids in answer order, the tier of the
        first host), or ``None``
        when the general path must answer.  Decides before drawing any random number, so a
        fallback draws exactly what :func:`select` would have."""
        bit = IPV4 if client.address[0] == 4 else IPV6  # families.family_bit, inlined
        plan = plan_for(index, view, client.country, self.minimum, bit)
        if plan is None:
            return None
        header: list[str] = []
        netblock_hits: list[tuple[int, int]] = []
        asn_hosts: list[int] = []
        if use_netblocks:
            netblock_hits, asn_hosts = network_tiers(
                index, view, client.address, self.inputs.asn, header
            )
        rng = self.rng
        out: list[Any] = []
        if not netblock_hits and not asn_hosts:
            if want_lines and not plan.has_lines:
                return None
            for tier in plan.tiers:
                out += shuffled(tier.bases if want_lines else tier.hosts, tier.inverse, rng)
            return plan.header, out, plan.found_via
        network = [h for _, h in netblock_hits] + asn_hosts
        tiers = plan.tiers
        split_at = plan.split
        has_lines = plan.has_lines
        plan_header = plan.header
        local = plan.local
        if local is not None:
            # step 7: the network hosts may lift the count to the minimum (and bring a host
            # of the client's family): then no global list
            by_host = view.by_host
            usable = local.hosts.union(h for h in network if h in by_host)
            if len(usable) >= self.minimum and (
                local.reachable or not local.global_reachable
                or not usable <= index.unreachable(view, bit)
            ):
                tiers, split_at = local.tiers, local.split
                has_lines, plan_header = local.has_lines, local.header
        if want_lines and not has_lines and not any(
            index.default_base(view, h) for h in network
        ):
            return None
        ordered = list(dict.fromkeys(network_order(netblock_hits, asn_hosts, rng)))
        seen = set(ordered)
        later: list[Any] = []
        unreachable = index.unreachable(view, bit)
        if unreachable:  # the network hosts the family reaches first, the others at the split
            ordered, later = split(ordered, unreachable)
            if want_lines:
                later = [index.default_base(view, h) for h in later]
        out = [index.default_base(view, h) for h in ordered] if want_lines else ordered
        for number, tier in enumerate(tiers):
            if number == split_at:
                out += later
                later = []
            items: Sequence[Any] = tier.bases if want_lines else tier.hosts
            inverse: Sequence[float] = tier.inverse
            if not seen.isdisjoint(tier.hosts):
                keep = [i for i, h in enumerate(tier.hosts) if h not in seen]
                items = [items[i] for i in keep]
                inverse = [inverse[i] for i in keep]
            out += shuffled(items, inverse, rng)
        return ("".join(header) + plan_header, out + later,
                "netblocks" if netblock_hits else "asn")

    # -- rendering ------------------------------------------------------------------------

    def render(self, index: CacheIndex, view: DirectoryView, target: Target, options: Options,
               choice: Choice, details: Sequence[FileDetail] | None) -> Answer:
        """The answer for the chosen hosts: a metalink document (when ``details``), a
        redirect, or the text list."""
        generation = index.generation
        if details is not None:
            digest = repr_digest(details[0])
            headers = (("Repr-Digest", digest),) if digest is not None else ()
            if options.metalink4:
                return Answer(200, METALINK4, metalink4_document(
                    target.filename or "", details,
                    _urls(index, view, choice.hosts, target.filename, options),
                    host_country=index.host_country, global_hosts=view.global_set,
                    now=self._now()), None, generation, headers)
            return Answer(200, METALINK, self._metalink(index, view, target, options, choice,
                                                        details), None, generation, headers)
        if options.redirect:
            hosts_urls = trim_urls(_urls(index, view, choice.hosts, target.filename, options),
                                   REDIRECT_PREFIXES, 1)
            for _, urls in hosts_urls:
                for url in urls:
                    if url.startswith("http"):
                        return Answer(302, TEXT, "", url, generation,
                                      duplicate_links(hosts_urls, index.host_country))
            return Answer(404, TEXT, "", None, generation)
        head = target.header + choice.header
        if options.protocol is not None:
            head += f"protocol = {options.protocol}"
        if options.time:
            head += f"\n# database creation time: {index.time}"
        if choice.bases is not None:
            # the hot path: one line per host, its default URL for the directory
            suffix = view.dir_suffix + "\n"
            lines = list(filter(None, choice.bases))
            self.last_listed = len(lines)
            return Answer(200, TEXT, f"{head}\n{suffix.join(lines)}{suffix}", None, generation)
        return Answer(200, TEXT, head + "\n" + "".join(self._lines(index, view, target, options,
                                                                   choice)), None, generation)

    @staticmethod
    def _lines(index: CacheIndex, view: DirectoryView, target: Target, options: Options,
               choice: Choice) -> list[str]:
        """The text list's URL lines: each host's default URL (the first http/https/ftp one),
        or with ``protocol=`` its URLs of those protocols; a host without such a URL is left
        out, unless that leaves nothing (then every URL of every host)."""
        if options.protocol is None and target.filename is None:
            lines = index.default_dir_urls(view, choice.hosts)
            if lines:
                return lines
            return [u + "\n" for _, us in index.host_urls(view, choice.hosts, None) for u in us]
        hosts_urls = _urls(index, view, choice.hosts, target.filename, options)
        if options.protocol is None:
            hosts_urls = trim_urls(hosts_urls, DEFAULT_PREFIXES, 1)
        return [u + "\n" for _, urls in hosts_urls for u in urls]

    def _metalink(self, index: CacheIndex, view: DirectoryView, target: Target,
                  options: Options, choice: Choice, details: Sequence[FileDetail]) -> str:
        filename = target.filename or ""
        if options.protocol is None:
            return metalink_for(index, view, filename, details, choice.hosts, self._now())
        hosts_urls = _urls(index, view, choice.hosts, filename, options)
        return metalink_document(metalink_head(view, filename, details), hosts_urls,
                                 host_country=index.host_country, global_hosts=view.global_set,
                                 now=self._now())


def _urls(index: CacheIndex, view: DirectoryView, hosts: Sequence[int], filename: str | None,
          options: Options) -> Sequence[tuple[int, Sequence[str]]]:
    """(host, its URLs) in host order, with ``protocol=`` only the URLs of those protocols
    (unless no host has one: then all)."""
    hosts_urls = index.host_urls(view, hosts, filename)
    if options.protocol is None:
        return hosts_urls
    prefixes = protocol_prefixes(options.protocol)
    return trim_urls(hosts_urls, prefixes, len(prefixes))
