"""One request in, one answer out: parameters, the flow of upstream's handler, rendering.

:class:`ListService` is independent of the HTTP server (tests call :meth:`ListService.answer`
directly); it reads the current generation from a :class:`~.reload.Inputs` holder on every
request, so a reload swaps everything at once.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol
from xml.sax.saxutils import escape

import attrs

from mirrormanager_mirrorlist.cacheindex import (
    METALINK_PLAIN,
    METALINK_SLASHED,
    CacheIndex,
    DirectoryView,
    FileDetail,
)
from mirrormanager_mirrorlist.plans import plan_for, shuffled
from mirrormanager_mirrorlist.prefixes import AsnTable, format_ip, parse_ip
from mirrormanager_mirrorlist.render import (
    METALINK_TAIL,
    PREFERENCES,
    metalink_document,
    metalink_failure,
    metalink_file_head,
    metalink_opening,
    trim_urls,
)
from mirrormanager_mirrorlist.selection import (
    network_order,
    network_tiers,
    protocol_prefixes,
    select,
)

log = logging.getLogger(__name__)

TEXT = "text/plain"
METALINK = "application/metalink+xml"
NOT_OUR_KIND = "We don't serve their kind here!"
NEED_PARAMS = "# either path=, or repo= and arch= must be specified"
BROKE_IT = "mirrorlist cache index out of range, you broke it!"
BAD_IP = "Cannot parse client IP address. Aborting."
REDIRECT_PREFIXES = ("https:", "http:")
DEFAULT_PREFIXES = ("https:", "http:", "ftp:")


@attrs.frozen
class Answer:
    status: int
    #: ``None``: no Content-Type header (upstream's plain error answers)
    content_type: str | None
    body: str
    location: str | None = None
    generation: str | None = None


class GeoLookup(Protocol):
    def country(self, address: str) -> str | None: ...


class AccessSink(Protocol):
    def record(self, ip: str, country: str, repo: str, arch: str) -> None: ...


class InputsView(Protocol):
    @property
    def index(self) -> CacheIndex | None: ...

    @property
    def asn(self) -> AsnTable | None: ...

    @property
    def geoip(self) -> GeoLookup | None: ...


def parse_query(query: str) -> dict[str, str]:
    """Upstream's parser: no percent-decoding, value cut at a second ``=``, last one wins."""
    params: dict[str, str] = {}
    if not query:
        return params
    for piece in query.split("&"):
        parts = piece.split("=")
        params[parts[0]] = parts[1] if len(parts) > 1 else ""
    return params


class ListService:
    def __init__(
        self,
        inputs: InputsView,
        *,
        minimum: int = 5,
        access_log: AccessSink | None = None,
        trust_forwarded_for: bool = True,
        rng: random.Random | None = None,
        clock: Callable[[], float] | None = None,
        use_plans: bool = True,
    ) -> None:
        self.inputs = inputs
        self.minimum = minimum
        self.access_log = access_log
        self.trust_forwarded_for = trust_forwarded_for
        self.rng = rng or random.Random()
        self.clock = clock
        #: answer through per-(directory, country) plans where they apply (plans.py); off:
        #: every answer takes the general path (same answers, same draws; for tests)
        self.use_plans = use_plans

    def answer(self, path: str, query: str, forwarded_for: str | None, peer: str) -> Answer:
        index = self.inputs.index
        if path == "/healthz":
            if index is None:
                return Answer(503, TEXT, "no cache loaded\n")
            return Answer(200, TEXT, f"ok generation={index.generation}\n", None, index.generation)
        metalink = path.endswith("/metalink")
        if not metalink and not path.endswith("/mirrorlist"):
            return Answer(404, None, NOT_OUR_KIND)
        if index is None:
            return Answer(503, TEXT, "no mirror list cache is loaded yet\n")
        a = self._answer(index, metalink, parse_query(query), forwarded_for, peer)
        return Answer(a.status, a.content_type, a.body, a.location, index.generation)

    def _error(self, metalink: bool, status: int, text: str) -> Answer:
        if metalink:
            return Answer(status, METALINK, metalink_failure(text, self._now()))
        return Answer(status, None, text)

    def _now(self) -> float | None:
        return self.clock() if self.clock is not None else None

    def _answer(
        self,
        index: CacheIndex,
        metalink: bool,
        params: dict[str, str],
        forwarded_for: str | None,
        peer: str,
    ) -> Answer:
        has_repo_arch = "repo" in params and "arch" in params
        filename: str | None
        if "path" in params:
            path = "/".join(part for part in params["path"].split("/") if part)
            header = f"# path = {path} "
            if index.has_directory(path):
                directory, filename = path, None
            else:
                directory, _, filename = path.rpartition("/")
                if not index.has_directory(directory):
                    return self._error(metalink, 404, "error: invalid path")
        elif has_repo_arch:
            repo, arch = params["repo"], params["arch"]
            if "source" in repo:
                arch = "source"
            repo = index.repo_redirects.get(repo) or repo
            header = f"# repo = {repo} arch = {arch} "
            if index.disabled.get(repo):
                return self._error(metalink, 200, "repo disabled")
            mapped = index.repo_arch_dirs.get(f"{repo}+{arch}")
            if not mapped:
                text = (
                    f"{header}error: invalid repo or arch\n"
                    "# following repositories are available:\n" + index.repository_listing()
                )
                return self._error(metalink, 404, text)
            if metalink:
                directory = mapped if mapped.endswith("/repodata") else mapped + "/repodata"
                filename = "repomd.xml"
            else:
                directory, filename = mapped, None
            if not index.has_directory(directory):
                return Answer(500, None, BROKE_IT)
        else:
            return self._error(metalink, 200, NEED_PARAMS)

        # client address and country
        ip_text = params.get("ip") or ""
        if not ip_text:
            if forwarded_for is not None and self.trust_forwarded_for:
                ip_text = forwarded_for.split(", ")[-1]
            else:
                ip_text = peer
        address = parse_ip(ip_text)
        if address is None:
            return self._error(metalink, 500, BAD_IP)
        client_country = index.netblock_country.first_containing(*address)
        if client_country is None:
            geoip = self.inputs.geoip
            if geoip is not None:
                # a dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d
                geo_text = format_ip(*address) if address[0] == 4 and ":" in ip_text else ip_text
                client_country = geoip.country(geo_text) or "N/A"
            else:
                client_country = "N/A"
        if has_repo_arch and self.access_log is not None:
            self.access_log.record(ip_text, client_country, params["repo"], arch_for_log(params))

        view = index.view(directory)
        assert view is not None  # has_directory() said so
        details = None
        if metalink:
            details = index.file_details(view).get(filename or "")
            if not details:
                return self._error(
                    metalink, 404, f"{directory}/{filename or ''} not found or has not metalink"
                )

        protocol = params.get("protocol")
        countries = params.get("country", "")
        use_netblocks = params.get("netblock", "1") == "1"
        redirect = not metalink and "redirect" in params
        head_line = header
        if self.use_plans and not countries and protocol is None and not redirect:
            hot = not metalink and filename is None
            planned = self._planned(index, view, address, client_country, use_netblocks, hot)
            if planned is not None:
                fragments, items = planned
                if metalink:
                    assert details is not None
                    return Answer(200, METALINK, self._metalink(index, view, filename or "",
                                                                 details, items))
                head_line += fragments
                if "time" in params:
                    head_line += f"\n# database creation time: {index.time}"
                if hot:
                    suffix = view.dir_suffix + "\n"
                    return Answer(200, TEXT, f"{head_line}\n{suffix.join(filter(None, items))}{suffix}")
                hosts_urls = list(trim_urls(index.host_urls(view, items, filename),
                                            DEFAULT_PREFIXES, 1))
                lines = [u + "\n" for _, host_urls in hosts_urls for u in host_urls]
                return Answer(200, TEXT, head_line + "\n" + "".join(lines))

        selection = select(
            index,
            view,
            address=address,
            client_country=client_country,
            countries=countries,
            use_netblocks=use_netblocks,
            protocol=protocol,
            minimum=self.minimum,
            asn_table=self.inputs.asn,
            rng=self.rng,
        )
        if log.isEnabledFor(logging.DEBUG):
            log.debug("mirrorlist: %s found its best mirror from %s", ip_text, selection.found_via)

        if not metalink and protocol is None and not redirect and filename is None:
            # the hot path: one URL per host
            lines = index.default_dir_urls(view, selection.hosts)
            if not lines:
                lines = [u + "\n" for _, us in index.host_urls(view, selection.hosts, None)
                         for u in us]
        else:
            hosts_urls = index.host_urls(view, selection.hosts, filename)
            if protocol is not None:
                prefixes = protocol_prefixes(protocol)
                hosts_urls = list(trim_urls(hosts_urls, prefixes, len(prefixes)))
            if redirect:
                hosts_urls = list(trim_urls(hosts_urls, REDIRECT_PREFIXES, 1))
            elif not metalink and protocol is None:
                hosts_urls = list(trim_urls(hosts_urls, DEFAULT_PREFIXES, 1))
            if metalink:
                assert details is not None
                if protocol is None:
                    return Answer(200, METALINK, self._metalink(
                        index, view, filename or "", details, [h for h, _ in hosts_urls]))
                name = filename or ""
                body = metalink_document(
                    metalink_head(view, name, details),
                    hosts_urls,
                    host_country=index.host_country,
                    global_hosts=view.global_set,
                    now=self._now(),
                )
                return Answer(200, METALINK, body)
            if redirect:
                for _, host_urls in hosts_urls:
                    for url in host_urls:
                        if url.startswith("http"):
                            return Answer(302, TEXT, "", url)
                return Answer(404, TEXT, "")
            lines = [u + "\n" for _, host_urls in hosts_urls for u in host_urls]

        head_line += selection.header
        if protocol is not None:
            head_line += f"protocol = {protocol}"
        if "time" in params:
            head_line += f"\n# database creation time: {index.time}"
        return Answer(200, TEXT, head_line + "\n" + "".join(lines))

    def _planned(
        self,
        index: CacheIndex,
        view: DirectoryView,
        address: tuple[int, int],
        client_country: str,
        use_netblocks: bool,
        want_lines: bool,
    ) -> tuple[str, list[Any]] | None:
        """The selection through the directory's :class:`~.plans.TierPlan` for the client's
        country: (header fragments, default lines or host ids in answer order), or ``None``
        when the general path must answer.  Decides before drawing any random number, so a
        fallback draws exactly what :func:`select` would have."""
        plan = plan_for(index, view, client_country, self.minimum)
        if plan is None:
            return None
        header: list[str] = []
        netblock_hits: list[tuple[int, int]] = []
        asn_hosts: list[int] = []
        if use_netblocks:
            netblock_hits, asn_hosts = network_tiers(
                index, view, address, self.inputs.asn, header
            )
        rng = self.rng
        out: list[Any] = []
        if not netblock_hits and not asn_hosts:
            if want_lines and not plan.has_lines:
                return None
            for tier in plan.tiers:
                out += shuffled(tier.bases if want_lines else tier.hosts, tier.inverse, rng)
            return plan.header, out
        network = [h for _, h in netblock_hits] + asn_hosts
        tiers = plan.tiers
        has_lines = plan.has_lines
        plan_header = plan.header
        local = plan.local
        if local is not None:
            # step 7: the network hosts may lift the count to the minimum: then no global list
            by_host = view.by_host
            usable = local.hosts.union(h for h in network if h in by_host)
            if len(usable) >= self.minimum:
                tiers, has_lines, plan_header = local.tiers, local.has_lines, local.header
        if want_lines and not has_lines and not any(
            index.default_base(view, h) for h in network
        ):
            return None
        ordered = list(dict.fromkeys(network_order(netblock_hits, asn_hosts, rng)))
        seen = set(ordered)
        out = [index.default_base(view, h) for h in ordered] if want_lines else ordered
        for tier in tiers:
            items: Sequence[Any] = tier.bases if want_lines else tier.hosts
            inverse: Sequence[float] = tier.inverse
            if not seen.isdisjoint(tier.hosts):
                keep = [i for i, h in enumerate(tier.hosts) if h not in seen]
                items = [items[i] for i in keep]
                inverse = [inverse[i] for i in keep]
            out += shuffled(items, inverse, rng)
        return "".join(header) + plan_header, out

    def _metalink(
        self,
        index: CacheIndex,
        view: DirectoryView,
        filename: str,
        details: Sequence[FileDetail],
        hosts: Iterable[int],
    ) -> str:
        """The metalink document for ``hosts`` in this order (all URLs of each host)."""
        opening = metalink_opening(self._now())
        head = metalink_head(view, filename, details)
        blocks = metalink_blocks(index, view, filename)
        rests = metalink_rests(view, filename)
        if blocks is None or rests is None:
            hosts_urls = index.host_urls(view, hosts, filename)
            return metalink_document(head, hosts_urls, host_country=index.host_country,
                                     global_hosts=view.global_set, now=self._now())
        parts = []
        preferences = PREFERENCES
        rank = 0
        get = blocks.get
        for host in hosts:
            pieces = get(host)
            if pieces is not None:
                parts.append((preferences[rank] if rank < 100 else "1").join(pieces))
                rank += 1
        urls = "".join(parts).replace(METALINK_SLASHED, rests[0]).replace(METALINK_PLAIN, rests[1])
        return f"{opening} <files>\n{head}{urls}{METALINK_TAIL}"


def metalink_head(view: DirectoryView, filename: str, details: Sequence[FileDetail]) -> str:
    head = view.metalink_heads.get(filename)
    if head is None:
        head = view.metalink_heads[filename] = metalink_file_head(filename, details)
    return head


def metalink_rests(view: DirectoryView, filename: str) -> tuple[str, str] | None:
    """What follows a base URL in the URLs of ``filename`` (escaped), after a base that ends
    in ``/`` and after one that does not; ``None`` if that text holds a template marker."""
    prefix = view.file_prefix
    if prefix:
        rest = escape(prefix + filename if prefix.endswith("/") else prefix + "/" + filename)
        rests = (rest, rest)
    else:
        rests = (escape(filename), escape("/" + filename))
    if any(METALINK_SLASHED in r or METALINK_PLAIN in r for r in rests):
        return None
    return rests


def metalink_blocks(
    index: CacheIndex, view: DirectoryView, filename: str
) -> dict[int, tuple[str, ...]] | None:
    """host -> its metalink template (shared between directories and files) for this
    directory, built for every host on first use; ``None`` when some host's lines cannot be templated."""
    blocks = view.metalink_blocks
    if blocks is None:
        blocks = {}
        public = view.global_set
        for host, ids in view.by_host.items():
            template = index.metalink_template(host, ids, host in public)
            if template is None:
                return None
            blocks[host] = template
        view.metalink_blocks = blocks
        index.views.grow(view, len(blocks))
    return blocks


def arch_for_log(params: dict[str, str]) -> str:
    return "source" if "source" in params["repo"] else params["arch"]
