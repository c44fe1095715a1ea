"""Request parsing for the HTTP server: httptools (llhttp) callbacks with the size limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import httptools

if TYPE_CHECKING:
    from mirrormanager_mirrorlist.config import MirrorlistConfig


class Parsed(NamedTuple):
    """One complete request as it came off the wire."""

    method: bytes
    #: the raw request target
    url: bytes
    #: the first ``X-Forwarded-For`` header
    forwarded_for: bytes | None
    #: the request allows the connection to stay open
    keep_alive: bool
    #: the first ``Accept`` header
    accept: bytes | None = None


class Rejected(Exception):
    """A limit was passed (raised inside the parser's callbacks)."""

    def __init__(self, status: int) -> None:
        self.status = status


class RequestParser:
    """httptools callbacks for one connection; completed requests gather in ``done`` (in
    order) until the server answers them."""

    __slots__ = ("limits", "parser", "url", "xff", "accept", "header_bytes", "headers", "body", "done",
                 "in_message", "error_status")

    def __init__(self, limits: MirrorlistConfig) -> None:
        self.limits = limits
        self.parser: Any = httptools.HttpRequestParser(self)
        self.done: list[Parsed] = []
        #: part of a request was received
        self.in_message = False
        #: the status to answer when the parser raises (400 unless a limit was passed)
        self.error_status = 400
        self._reset()

    def feed(self, data: bytes) -> None:
        """Parse more bytes.

        :raises httptools.HttpParserError: malformed, or a limit passed (``error_status``).
        :raises httptools.HttpParserUpgrade: the client asked for a protocol upgrade.
        """
        self.parser.feed_data(data)

    def release(self) -> None:
        """Drop the httptools parser, which refers back to this object: the pair is a
        reference cycle, freed at once this way rather than by the garbage collector (a
        worker freezes long-lived objects, :mod:`~.heap`, and a frozen cycle would stay)."""
        self.parser = None

    def _reset(self) -> None:
        self.url = b""
        self.xff: bytes | None = None
        self.accept: bytes | None = None
        self.header_bytes = 0
        self.headers = 0
        self.body = 0

    def on_message_begin(self) -> None:
        self._reset()
        self.in_message = True

    def on_url(self, url: bytes) -> None:
        self.url += url
        if len(self.url) > self.limits.max_target_bytes:
            self.error_status = 414
            raise Rejected(414)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers += 1
        self.header_bytes += len(name) + len(value)
        if self.headers > self.limits.max_headers or (
            self.header_bytes > self.limits.max_header_bytes
        ):
            self.error_status = 431
            raise Rejected(431)
        if self.xff is None and name.lower() == b"x-forwarded-for":
            self.xff = value
        elif len(name) == 6 and self.accept is None and name.lower() == b"accept":
            self.accept = value

    def on_body(self, body: bytes) -> None:
        self.body += len(body)
        if self.body > self.limits.max_body_bytes:
            self.error_status = 413
            raise Rejected(413)

    def on_message_complete(self) -> None:
        self.in_message = False
        parser = self.parser
        self.done.append(
            Parsed(parser.get_method(), self.url, self.xff, parser.should_keep_alive(),
                   self.accept)
        )
