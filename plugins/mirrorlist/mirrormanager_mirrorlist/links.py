"""RFC 6249 ``Link: <url>; rel=duplicate; pri=N; geo=cc`` headers for redirect answers.

A redirect names one mirror in ``Location``; the ``Link`` headers name the first
:data:`MAX_LINKS` mirrors of the same answer (the redirect's own first), so a client that
understands them (aria2, some download managers) can fall back or download in parallel without
asking again.  ``pri`` is the host's rank in the answer (1 first), ``geo`` its country in lower
case (left out when unknown).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

MAX_LINKS = 10
_UNSAFE = {"<": "%3C", ">": "%3E", " ": "%20", '"': "%22"}


def duplicate_links(hosts_urls: Sequence[tuple[int, Sequence[str]]],
                    host_country: Mapping[int, str]) -> tuple[tuple[str, str], ...]:
    """The ``Link`` headers for the http(s) URLs of ``hosts_urls`` (in answer order)."""
    links: list[tuple[str, str]] = []
    rank = 0
    for host, urls in hosts_urls:
        http = [url for url in urls if url.startswith(("https:", "http:"))]
        if not http:
            continue
        rank += 1
        country = host_country.get(host, "").lower()
        geo = f"; geo={country}" if len(country) == 2 and country.isalpha() else ""
        for url in http:
            links.append(("Link", f"<{_safe(url)}>; rel=duplicate; pri={rank}{geo}"))
            if len(links) == MAX_LINKS:
                return tuple(links)
    return tuple(links)


def _safe(url: str) -> str:
    """``url`` without the characters that would end or split the ``<...>``."""
    for char, code in _UNSAFE.items():
        if char in url:
            url = url.replace(char, code)
    return url
