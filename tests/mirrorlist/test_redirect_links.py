"""RFC 6249 ``Link: <url>; rel=duplicate; pri=N; geo=cc`` headers on redirect answers, parsed
from the wire of a real server."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import trio
from listserver_data import SUB
from test_server_http import settings_for, start

from mirrormanager_mirrorlist.links import MAX_LINKS, duplicate_links

RA = "repo=fedora-40&arch=x86_64"
LINK = re.compile(r"^<(?P<url>[^>]*)>((?:\s*;\s*[a-z]+=[^;]*)*)$")


def parse_link(value: str) -> tuple[str, dict[str, str]]:
    """One Link header value: (target, its parameters)."""
    url, _, rest = value.partition(">")
    assert url.startswith("<") and LINK.match(value), value
    params = {}
    for part in rest.split(";")[1:]:
        name, _, val = part.strip().partition("=")
        params[name] = val
    return url[1:], params


async def test_redirect_carries_duplicate_links(tmp_path: Path, nursery: trio.Nursery) -> None:
    started, stop = await start(nursery, settings_for(tmp_path))
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{started.url}/mirrorlist?{RA}&country=global&redirect")
        assert answer.status_code == 302
        links = [parse_link(v) for v in answer.headers.get_list("link")]
        # the redirect's own URL comes first; only http(s) URLs; every public host once
        assert links[0] == (answer.headers["location"], links[0][1])
        assert links[0][1]["pri"] == "1" and links[0][1]["rel"] == "duplicate"
        assert [p["pri"] for _, p in links] == [str(i) for i in range(1, len(links) + 1)]
        hosts = {url.split("/")[2]: p.get("geo") for url, p in links}
        assert hosts == {"de.example": "de", "at.example": "at", "us.example": "us",
                         "jp.example": "jp"}
        assert all(url.startswith("http") and url.endswith(f"/pub/{SUB}/") for url, _ in links)
        # no Link headers on a list
        plain = await client.get(f"{started.url}/mirrorlist?{RA}&country=global")
        assert "link" not in plain.headers
    stop.set()


def test_links_are_capped_and_safe() -> None:
    hosts_urls = [(h, [f"http://h{h}.example/a b<c>", f"https://h{h}.example/x", "rsync://r/"])
                  for h in range(20)]
    links = duplicate_links(hosts_urls, {0: "DE", 1: "", 2: "XYZ"})
    assert len(links) == MAX_LINKS
    assert links[0] == ("Link", "<http://h0.example/a%20b%3Cc%3E>; rel=duplicate; pri=1; geo=de")
    assert links[1] == ("Link", "<https://h0.example/x>; rel=duplicate; pri=1; geo=de")
    assert links[2][1].endswith("pri=2") and links[4][1].endswith("pri=3")
    assert all(parse_link(value) for _, value in links)
