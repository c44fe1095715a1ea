"""The first two steps of an answer: what the request names (its target) and who asks (the
client), each with upstream's error answers.

Both read only the request's parameters and the current cache generation; neither draws a
random number or writes a log line.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from mirrormanager_mirrorlist.cacheindex import CacheIndex
from mirrormanager_mirrorlist.prefixes import format_ip, parse_ip

NEED_PARAMS = "# either path=, or repo= and arch= must be specified"
BROKE_IT = "mirrorlist cache index out of range, you broke it!"
BAD_IP = "Cannot parse client IP address. Aborting."


class GeoLookup(Protocol):
    def country(self, address: str) -> str | None: ...


class Failure(NamedTuple):
    """An error answer: upstream's text, wrapped in the metalink failure document in metalink
    mode unless ``plain``."""

    status: int
    text: str
    plain: bool = False


class Target(NamedTuple):
    """The directory a request names, and the file in it."""

    directory: str
    #: ``None``: the directory itself (its URLs end in ``/``)
    filename: str | None
    #: the first header fragment: ``# path = <path> `` or ``# repo = <repo> arch = <arch> ``
    header: str


class Client(NamedTuple):
    address: tuple[int, int]
    #: the address as given (``ip=``, ``X-Forwarded-For`` or the peer), for the access log
    ip_text: str
    #: netblock-country override, else GeoIP, else ``N/A``
    country: str


def parse_query(query: str) -> dict[str, str]:
    """Upstream's parser: no percent-decoding, value cut at a second ``=``, last one wins."""
    params: dict[str, str] = {}
    if not query:
        return params
    for piece in query.split("&"):
        parts = piece.split("=")
        params[parts[0]] = parts[1] if len(parts) > 1 else ""
    return params


def find_target(index: CacheIndex, params: dict[str, str], metalink: bool) -> Target | Failure:
    """``path=`` (a directory, or a file in one) or ``repo=`` and ``arch=`` (through the
    repository redirects and the repo/arch map; in metalink mode its ``repodata/repomd.xml``)."""
    if "path" in params:
        path = "/".join(part for part in params["path"].split("/") if part)
        header = f"# path = {path} "
        if index.has_directory(path):
            return Target(path, None, header)
        directory, _, filename = path.rpartition("/")
        if not index.has_directory(directory):
            return Failure(404, "error: invalid path")
        return Target(directory, filename, header)
    if "repo" not in params or "arch" not in params:
        return Failure(200, NEED_PARAMS)
    repo, arch = params["repo"], params["arch"]
    if "source" in repo:
        arch = "source"
    repo = index.repo_redirects.get(repo) or repo
    header = f"# repo = {repo} arch = {arch} "
    if index.disabled.get(repo):
        return Failure(200, "repo disabled")
    mapped = index.repo_arch_dirs.get(f"{repo}+{arch}")
    if not mapped:
        listing = index.repository_listing()
        return Failure(
            404,
            f"{header}error: invalid repo or arch\n# following repositories are available:\n"
            + listing,
        )
    if metalink:
        target = Target(
            mapped if mapped.endswith("/repodata") else mapped + "/repodata", "repomd.xml", header
        )
    else:
        target = Target(mapped, None, header)
    if not index.has_directory(target.directory):
        return Failure(500, BROKE_IT, plain=True)
    return target


def identify_client(
    index: CacheIndex,
    geoip: GeoLookup | None,
    params: dict[str, str],
    forwarded_for: str | None,
    peer: str,
) -> Client | Failure:
    """The client's address (``ip=``, else the last element of ``forwarded_for`` -- ``None``
    when there is none or it is not trusted --, else the peer) and country."""
    ip_text = params.get("ip") or ""
    if not ip_text:
        ip_text = forwarded_for.split(", ")[-1] if forwarded_for is not None else peer
    address = parse_ip(ip_text)
    if address is None:
        return Failure(500, BAD_IP)
    country = index.netblock_country.first_containing(*address)
    if country is None:
        if geoip is not None:
            # a dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d
            geo_text = format_ip(*address) if address[0] == 4 and ":" in ip_text else ip_text
            country = geoip.country(geo_text) or "N/A"
        else:
            country = "N/A"
    return Client(address, ip_text, country)


def arch_for_log(params: dict[str, str]) -> str:
    return "source" if "source" in params["repo"] else params["arch"]
