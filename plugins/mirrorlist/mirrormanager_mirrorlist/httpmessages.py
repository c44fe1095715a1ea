"""What the HTTP server hands an application and what it takes back: :class:`Request`,
:class:`Answer`, and the bytes of an answer on the wire.

The transport (``httpserver.py``) knows nothing else about the application: a handler is any
callable from a :class:`Request` to an :class:`Answer`.  Both are tuples (immutable, and made
once per request on the hot path: cheaper than frozen attrs classes).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    404: "Not Found",
    408: "Request Timeout",
    413: "Content Too Large",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class Request(NamedTuple):
    """One complete request, as the handler sees it."""

    #: the request target before ``?`` (decoded as UTF-8; undecodable bytes as surrogates)
    path: str
    #: the request target after ``?``, not percent-decoded
    query: str
    #: the first ``X-Forwarded-For`` header, or ``None``
    forwarded_for: str | None
    #: the address of the TCP peer
    peer: str
    #: ``GET``, ``HEAD`` (the answer goes without its body) or ``POST``
    method: bytes = b"GET"
    #: the first ``Accept`` header, or ``None``
    accept: str | None = None


class Answer(NamedTuple):
    """What the handler answers."""

    status: int
    #: ``None``: no Content-Type header (upstream's plain error answers)
    content_type: str | None
    body: str
    #: the ``Location`` header (redirects)
    location: str | None = None
    #: the ``X-MirrorList-Generation`` header
    generation: str | None = None
    #: more headers, (name, value) in order (``Link``, ``Repr-Digest``)
    headers: tuple[tuple[str, str], ...] = ()


#: what the server calls for every complete request
Handler = Callable[[Request], Answer]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_http_date_cache: tuple[int, str] = (-1, "")


def http_date(now: float | None = None) -> str:
    """RFC 1123 date (``Thu, 21 May 2026 19:54:04 GMT``), independent of the locale."""
    global _http_date_cache
    second = int(time.time() if now is None else now)
    cached_second, text = _http_date_cache
    if cached_second == second:
        return text
    t = time.gmtime(second)
    text = (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )
    _http_date_cache = (second, text)
    return text


_HEADS: dict[tuple[int, str | None], str] = {}


def _head_start(status: int, content_type: str | None) -> str:
    """The status line and Content-Type header (formatted once per combination)."""
    key = (status, content_type)
    head = _HEADS.get(key)
    if head is None:
        head = f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}\r\n"
        if content_type is not None:
            head += f"Content-Type: {header_value(content_type)}\r\n"
        _HEADS[key] = head
    return head


def header_value(text: str) -> str:
    """``text`` safe as a header value: CR, LF and NUL percent-encoded (a header cannot be
    split or ended from a value, whatever the cache holds)."""
    if "\r" in text or "\n" in text or "\0" in text:
        return text.replace("\r", "%0D").replace("\n", "%0A").replace("\0", "%00")
    return text


def encode_answer(answer: Answer, *, keep_alive: bool, head_only: bool = False) -> bytes:
    body = answer.body.encode("utf-8", "surrogateescape")
    head = f"{_head_start(answer.status, answer.content_type)}Content-Length: {len(body)}\r\n" \
        f"Date: {http_date()}\r\n"
    if answer.generation is not None:
        head += f"X-MirrorList-Generation: {header_value(answer.generation)}\r\n"
    if answer.location is not None:
        head += f"Location: {header_value(answer.location)}\r\n"
    if answer.headers:
        for name, value in answer.headers:
            head += f"{name}: {header_value(value)}\r\n"
    head += "\r\n" if keep_alive else "Connection: close\r\n\r\n"
    data = head.encode("utf-8", "surrogateescape")
    return data if head_only else data + body


def plain_answer(status: int, text: str) -> bytes:
    """A ``text/plain`` answer that closes the connection (the server's own errors)."""
    return encode_answer(Answer(status, "text/plain", text), keep_alive=False)
