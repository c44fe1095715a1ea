"""The HTTP(S) crawl protocol, on httpx's transport core (httpcore) under trio.

For every directory of a host category, every file of the master's list is checked with a HEAD
request (one keep-alive HTTP/1.1 connection per mirror, requests in sequence): ``404``/``410`` ->
not up to date, ``403`` -> not up to date when the master directory is readable (else unknown),
another error status -> unknown, a Content-Length different from the master's size or an HTML
page where a file is expected -> not up to date.  A ``repomd.xml`` the master checksummed is
fetched with a GET instead of the HEAD: its status and headers are judged the same way, then its
body is streamed (byte-capped) and its sha256 compared.  The first file that is not up to date
decides the directory.

Before the directories, one HEAD for a name that cannot exist below the base URL: a mirror that
answers it with ``200`` serves error pages as content ("soft 404") and cannot be judged file by
file, so the URL fails.

Failures of the URL as a whole (it cannot be used, the engine tries the next one): connection
refused, DNS or TLS errors, an operation exceeding ``operation_timeout`` (a silent or trickling
server), a body over ``max_body_bytes``, a redirect to another host, a redirect loop or chain
longer than ``max_redirects``, a malformed response (a Content-Length the body does not match).

Why httpcore and not ``httpx.AsyncClient``: the crawler sends tens of thousands of HEAD requests
per mirror category, one after the other on one connection, and its CPU per request is what
bounds a crawl (``docs/benchmarks/crawl.md``).  httpx's client layer (URL merging, cookies, auth
and redirect machinery, header models) and its pooled transport (a connection pool per mirror,
request/response model conversion on every request) cost about a third of that CPU, and the
crawler needs none of it: redirects are followed here (same host only), headers are built once.
So each mirror gets one :class:`httpcore.AsyncHTTP11Connection` -- httpx's own HTTP/1.1
machinery (h11), one layer down, connected through httpcore's trio network backend -- and
requests carry pre-parsed URLs and headers built once.  Not even httpcore's
``AsyncHTTPConnection`` wrapper: its per-request lock costs a trio scheduling pass per request
(~10% of the crawler's CPU), and the crawler never shares a connection between tasks.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import aclosing, asynccontextmanager
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import attrs
import httpcore
import httpx
import trio

from mmcore.crawl.config import CrawlerConfig
from mmcore.crawl.protocol import (
    REPOMD_NAME,
    CategoryCheck,
    DirectoryExpectation,
    DirectoryVerdict,
    ExpectedFile,
)
from mmcore.logs import kv

PROBE_PREFIX = ".mirrormanager-probe-"
_HTML_SUFFIXES = (".html", ".htm", ".shtml", ".xhtml")
_REDIRECTS = frozenset((301, 302, 303, 307, 308))
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: characters left as they are in a request target built from a registered URL's path (an
#: already percent-encoded path stays as it is; anything else, e.g. non-ASCII, is encoded)
_PATH_SAFE = "/%:@!$&'()*+,;=~"
#: what ends a URL's use, from the network layer (trio, httpcore, the OS)
_NETWORK_ERRORS = (
    trio.TooSlowError,
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ConnectionNotAvailable,
    OSError,
)


class UrlFailure(Exception):
    """The URL cannot be used at all; the message is the reason recorded for the host."""


@attrs.frozen(slots=True)
class Answer:
    """What a response's status line and headers say, as far as the crawler cares."""

    status: int
    #: the Content-Length header, as sent (``None`` when absent)
    length: str | None
    #: the Content-Type header, lowercased (``""`` when absent)
    content_type: str
    #: the Location header (``None`` when absent)
    location: str | None
    url: str


@attrs.frozen(slots=True)
class Endpoint:
    """Where requests of one origin go: the connection key and the headers sent to it.

    Built once per registered URL (and per redirect target), shared by every request below it,
    so no request re-parses a URL or rebuilds its headers.
    """

    origin: httpcore.Origin
    #: the session's request headers plus ``Host``
    headers: list[tuple[bytes, bytes]]

    def target(self, url: str, path: str) -> Target:
        """A request to ``path`` (percent-encoded, with its query if any) at this endpoint."""
        origin = self.origin
        return Target(
            self,
            httpcore.URL(
                scheme=origin.scheme, host=origin.host, port=origin.port,
                target=path.encode("ascii"),
            ),
            url,
        )


@attrs.frozen(slots=True)
class Target:
    """One URL to request, pre-parsed; ``text`` is the URL as shown in logs and reasons."""

    endpoint: Endpoint
    url: httpcore.URL
    text: str


def describe_error(exc: BaseException, url: str, limits: CrawlerConfig) -> str:
    """One line saying what went wrong with ``url``, from the exception trio, httpcore or the
    OS raised (httpcore wraps socket and TLS errors: the cause is looked for in the chain)."""
    if isinstance(exc, httpcore.ConnectTimeout):
        return f"timeout after {limits.connect_timeout:g}s connecting: {url}"
    if isinstance(exc, trio.TooSlowError | httpcore.TimeoutException):
        return f"timeout after {limits.operation_timeout:g}s: {url}"
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpcore.ConnectError | ssl.SSLError | socket.gaierror):
        return _describe_connect_error(exc, text, url)
    if isinstance(exc, httpcore.RemoteProtocolError):
        return f"malformed response: {text}: {url}"
    if isinstance(exc, httpcore.ReadError | httpcore.WriteError):
        cause = next((str(c) for c in _causes(exc) if str(c)), text)
        return f"connection lost: {cause}: {url}"
    if isinstance(exc, httpcore.UnsupportedProtocol):
        return f"invalid URL: {text}: {url}"
    return f"{type(exc).__name__}: {text}: {url}"


def _describe_connect_error(exc: BaseException, text: str, url: str) -> str:
    """A failed connection: TLS, DNS, or the socket's own error (refused, unreachable)."""
    causes = list(_causes(exc))
    for cause in causes:
        if isinstance(cause, ssl.SSLError):
            return f"TLS error: {cause.reason or cause}: {url}"
        if isinstance(cause, socket.gaierror):
            return f"DNS failure: {cause}: {url}"
    for cause in causes:
        if isinstance(cause, OSError) and cause.errno and cause.strerror:
            # the socket's own words: "Connection refused", "No route to host", ...
            return f"connection failed: {cause.strerror}: {url}"
    text = next((str(c) for c in causes if str(c)), text)
    lowered = text.lower()
    if "ssl" in lowered or "certificate" in lowered or "tls" in lowered:
        return f"TLS error: {text}: {url}"
    if "name or service" in lowered or "nodename" in lowered or "getaddrinfo" in lowered:
        return f"DNS failure: {text}: {url}"
    return f"connection failed: {text}: {url}"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from, innermost last; an exception group (trio
    trying each address of a host) contributes its members."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending and len(seen) < 64:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        following = current.__cause__ or current.__context__
        if following is not None:
            pending.append(following)


def same_host(original: str, target: str) -> bool:
    """A redirect stays on the mirror: same host name (and port, when not moving to https)."""
    a, b = urlsplit(original), urlsplit(target)
    if b.scheme not in ("http", "https") or a.hostname != b.hostname:
        return False
    if a.scheme == b.scheme:
        return a.port == b.port
    return b.port is None or b.port == 443


def _answer(response: httpcore.Response, url: str) -> Answer:
    """The three headers the crawler reads, in one pass over the raw header list."""
    length: str | None = None
    content_type = ""
    location: str | None = None
    for name, value in response.headers:
        lowered = name.lower()
        if lowered == b"content-length":
            length = value.decode("latin-1")
        elif lowered == b"content-type":
            content_type = value.decode("latin-1").lower()
        elif lowered == b"location":
            location = value.decode("latin-1")
    return Answer(response.status, length, content_type, location, url)


class MirrorClient:
    """Requests to one mirror, one after the other over one keep-alive HTTP/1.1 connection.

    The connection is an :class:`httpcore.AsyncHTTP11Connection` (no pool): opened on the first
    request, reused while the server keeps it open, replaced when it was closed -- by the
    server (``Connection: close``, an idle timeout: checked before each request, as httpx's
    pool does) or by us (a body not worth reading is not drained, the connection is dropped) --
    or when a same-host redirect moves to another port or to https.
    """

    def __init__(self, session: HttpSession) -> None:
        self.session = session
        self.limits = session.limits
        self.extensions = session.extensions
        self._connection: httpcore.AsyncHTTP11Connection | None = None

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.aclose()

    async def head(self, url: str | Target) -> Answer:
        """HEAD ``url``, following redirects on the same host only."""
        answer, _ = await self._exchange(b"HEAD", url)
        return answer

    async def get_sha256(
        self, url: str | Target, wanted: Callable[[Answer], bool] | None = None
    ) -> tuple[Answer, str | None]:
        """GET ``url`` and hash its body, capped at ``max_body_bytes``: only for a 2xx answer
        whose headers ``wanted`` accepts (the body of any other is not read)."""
        return await self._exchange(b"GET", url, wanted)

    async def _exchange(
        self, method: bytes, url: str | Target, wanted: Callable[[Answer], bool] | None = None
    ) -> tuple[Answer, str | None]:
        """One request and the same-host redirects it leads to: the final answer, and for a GET
        the sha256 of its body (``None`` when not read)."""
        target = url if isinstance(url, Target) else self.session.parse(url)
        answer, sha = await self._bounded(method, target, wanted)
        if answer.status not in _REDIRECTS or not answer.location:
            return answer, sha
        return await self._follow(method, target, answer, wanted)

    async def _follow(
        self,
        method: bytes,
        first: Target,
        answer: Answer,
        wanted: Callable[[Answer], bool] | None,
    ) -> tuple[Answer, str | None]:
        """Follow ``answer``'s redirect and the ones after it, on the same host only."""
        current = first.text
        seen = {current}
        for _hop in range(self.limits.max_redirects):
            following = urljoin(current, answer.location or "")
            if not same_host(current, following):
                raise UrlFailure(f"redirect to another host: {current} -> {following}")
            if following in seen:
                raise UrlFailure(f"redirect loop: {current} -> {following}")
            seen.add(following)
            current = following
            answer, sha = await self._bounded(method, self.session.parse(current), wanted)
            if answer.status not in _REDIRECTS or not answer.location:
                return answer, sha
        raise UrlFailure(f"more than {self.limits.max_redirects} redirects from {first.text}")

    async def _bounded(
        self, method: bytes, target: Target, wanted: Callable[[Answer], bool] | None
    ) -> tuple[Answer, str | None]:
        """One request within ``operation_timeout`` (the transport's own timeouts bound each
        connect, read and write; this bounds them together: a trickling server is cut off);
        network errors become a :class:`UrlFailure` with a readable reason."""
        try:
            with trio.fail_after(self.limits.operation_timeout):
                return await self._one(method, target, wanted)
        except _NETWORK_ERRORS as exc:
            raise UrlFailure(describe_error(exc, target.text, self.limits)) from None

    async def _connection_for(self, endpoint: Endpoint) -> httpcore.AsyncHTTP11Connection:
        """The open connection when it can carry a request to ``endpoint``, else a new one (the
        old one closed)."""
        connection = self._connection
        if (
            connection is not None
            and connection.can_handle_request(endpoint.origin)
            and not connection.is_closed()
            and not connection.has_expired()
        ):
            return connection
        await self.aclose()
        self._connection = await self.session.connect(endpoint)
        return self._connection

    async def _one(
        self, method: bytes, target: Target, wanted: Callable[[Answer], bool] | None
    ) -> tuple[Answer, str | None]:
        connection = await self._connection_for(target.endpoint)
        request = httpcore.Request(
            method, target.url, headers=target.endpoint.headers, extensions=self.extensions
        )
        response = await connection.handle_async_request(request)
        # httpcore's HTTP/1.1 body stream: iterating reads the body off the wire as it comes,
        # closing it frees the connection (all read) or drops it (not all read)
        stream: Any = response.stream
        try:
            answer = _answer(response, target.text)
            if method == b"HEAD" or answer.length == "0":
                # no body (a HEAD, an empty redirect): reading the end of the message frees the
                # connection for the next request
                async for _chunk in stream:
                    pass
                if method == b"HEAD":
                    return answer, None
            if not 200 <= answer.status < 300 or (wanted is not None and not wanted(answer)):
                # a body not worth reading (an error page, a file of the wrong size): closing
                # the response unread drops the connection
                return answer, None
            return answer, await self._sha256(stream, target.text)
        finally:
            await stream.aclose()

    async def _sha256(self, stream: Any, url: str) -> str:
        """sha256 of the body as it arrives, capped at ``max_body_bytes``."""
        hasher = hashlib.sha256()
        received = 0
        cap = self.limits.max_body_bytes
        # aclosing: leaving the loop early (the cap) closes the stream's generator at once
        async with aclosing(stream.__aiter__()) as chunks:
            async for chunk in chunks:
                received += len(chunk)
                if received > cap:
                    raise UrlFailure(f"body larger than {cap} bytes: {url}")
                hasher.update(chunk)
        return hasher.hexdigest()


class HttpSession:
    """The crawl's HTTP settings, built once; one :class:`MirrorClient` per mirror checked."""

    def __init__(
        self,
        limits: CrawlerConfig,
        *,
        timeouts: dict[str, float],
        headers: list[tuple[bytes, bytes]],
        ssl_context: ssl.SSLContext,
    ) -> None:
        self.limits = limits
        #: request headers without ``Host`` (added per endpoint)
        self.headers = headers
        #: per-request options of the transport: connect / read / write timeouts
        self.extensions = {"timeout": timeouts}
        self.ssl_context = ssl_context
        self.network_backend = httpcore.TrioBackend()

    def endpoint(self, scheme: str, host: str, port: int | None) -> Endpoint:
        """The endpoint of ``scheme://host:port`` with its ``Host`` header."""
        default = _DEFAULT_PORTS[scheme]
        host_bytes = host.encode("idna") if not host.isascii() else host.encode("ascii")
        shown = f"[{host}]" if ":" in host else host
        host_header = shown if port in (None, default) else f"{shown}:{port}"
        return Endpoint(
            httpcore.Origin(scheme.encode("ascii"), host_bytes, port or default),
            [(b"Host", host_header.encode("idna" if not host.isascii() else "ascii")),
             *self.headers],
        )

    def parse(self, url: str) -> Target:
        """``url`` as a request target (raises :class:`UrlFailure` for one that cannot be
        requested)."""
        endpoint, path = self.split(url)
        return endpoint.target(url, path)

    def split(self, url: str) -> tuple[Endpoint, str]:
        """The endpoint of ``url`` and its request path (percent-encoded, with the query)."""
        try:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            host = parts.hostname
            port = parts.port
            if scheme not in _DEFAULT_PORTS or not host:
                raise ValueError("not an http(s) URL with a host")
            path = quote(parts.path or "/", safe=_PATH_SAFE)
            if parts.query:
                path += "?" + quote(parts.query, safe=_PATH_SAFE + "?")
            return self.endpoint(scheme, host, port), path
        except (ValueError, UnicodeError) as exc:
            raise UrlFailure(f"invalid URL: {exc}: {url}") from None

    async def connect(self, endpoint: Endpoint) -> httpcore.AsyncHTTP11Connection:
        """A new HTTP/1.1 connection to ``endpoint``: TCP, then TLS for https (verified with the
        session's context), each within ``connect_timeout``; httpcore's network layer raises
        its ``ConnectError``/``ConnectTimeout`` with the socket or TLS error as the cause."""
        origin = endpoint.origin
        host = origin.host.decode("ascii")
        timeout = self.limits.connect_timeout
        stream = await self.network_backend.connect_tcp(host, origin.port, timeout=timeout)
        if origin.scheme == b"https":
            plain = stream
            try:
                stream = await plain.start_tls(
                    self.ssl_context, server_hostname=host, timeout=timeout
                )
            except BaseException:  # a failed or cancelled handshake: the socket is ours
                with trio.CancelScope(shield=True):
                    await plain.aclose()
                raise
        return httpcore.AsyncHTTP11Connection(origin, stream)

    @asynccontextmanager
    async def mirror(self) -> AsyncIterator[MirrorClient]:
        """A client with one keep-alive connection, closed when the mirror is done."""
        client = MirrorClient(self)
        try:
            yield client
        finally:
            await client.aclose()

    # -- the protocol ---------------------------------------------------------------------------

    async def check_category(
        self,
        base_url: str,
        directories: Sequence[DirectoryExpectation],
        log: logging.LoggerAdapter,
    ) -> CategoryCheck:
        counter = _Counter()
        verdicts: list[DirectoryVerdict] = []
        try:
            endpoint, base_path = self.split(base_url)
            base = _Base(endpoint, base_url.rstrip("/"), base_path.rstrip("/"))
            async with self.mirror() as client:
                await self._probe(client, base, counter, log)
                for directory in directories:
                    verdict = await self._check_directory(client, base, directory, counter)
                    if verdict.up2date is not True:
                        log.info(
                            kv(event="directory", path=directory.path or ".",
                               up2date=verdict.up2date, reason=verdict.reason)
                        )
                    verdicts.append(verdict)
        except UrlFailure as failure:
            log.warning(kv(event="url_failed", url=base_url, reason=str(failure)))
            return CategoryCheck.failed(str(failure), counter.value)
        return CategoryCheck(tuple(verdicts), None, counter.value)

    async def _probe(
        self, client: MirrorClient, base: _Base, counter: _Counter, log: logging.LoggerAdapter
    ) -> None:
        target = base.below(PROBE_PREFIX + secrets.token_hex(6))
        counter.value += 1
        answer = await client.head(target)
        if 200 <= answer.status < 300:
            raise UrlFailure(
                f"answers {answer.status} for a file that does not exist: {target.text}"
            )
        log.debug(kv(event="probe", url=target.text, status=answer.status))

    async def _check_directory(
        self,
        client: MirrorClient,
        base: _Base,
        directory: DirectoryExpectation,
        counter: _Counter,
    ) -> DirectoryVerdict:
        dir_id = directory.directory_id
        directory_path = quote(directory.path.strip("/"))
        if not directory.files:
            # nothing to compare: the directory only has to exist (an index page, or a 403
            # where listings are off, both count)
            counter.value += 1
            answer = await client.head(base.below(directory_path, "/"))
            if answer.status in (404, 410):
                return DirectoryVerdict(dir_id, False, f"HTTP {answer.status} for the directory")
            return DirectoryVerdict(dir_id, True)
        for expected in directory.files:
            target = base.below(directory_path, "/" + quote(expected.name))
            counter.value += 1
            sha: str | None = None
            digest = expected.name == REPOMD_NAME and bool(directory.repomd_sha256)
            if digest:
                # one GET answers both questions: the headers are judged as a HEAD's, and
                # only when they pass is the body read and hashed
                answer, sha = await client.get_sha256(
                    target, lambda got: _file_problem(directory, expected, got) is None
                )
            else:
                answer = await client.head(target)
            problem = _file_problem(directory, expected, answer)
            if problem is not None:
                return problem
            if digest and sha != directory.repomd_sha256.lower():  # type: ignore[union-attr]
                return DirectoryVerdict(dir_id, False, "repomd.xml sha256 differs from master")
        return DirectoryVerdict(dir_id, True)

    async def fetch_sha256(self, url: str, log: logging.LoggerAdapter) -> str | None:
        try:
            async with self.mirror() as client:
                answer, sha = await client.get_sha256(url)
        except UrlFailure as failure:
            log.info(kv(event="fetch_failed", url=url, reason=str(failure)))
            return None
        if sha is None:
            log.info(kv(event="fetch_failed", url=url, status=answer.status))
        return sha


@attrs.frozen(slots=True)
class _Base:
    """A registered base URL, parsed once per check; request targets below it are built by
    joining strings (the relative parts are percent-encoded by the caller)."""

    endpoint: Endpoint
    #: the URL as registered, without trailing slash (for logs and reasons)
    url: str
    #: its request path, percent-encoded, without trailing slash
    path: str

    def below(self, relative: str, suffix: str = "") -> Target:
        """The target ``base/relative + suffix`` (``relative`` without slashes at its ends,
        possibly empty: then ``base + suffix``)."""
        tail = ("/" + relative if relative else "") + suffix
        return self.endpoint.target(self.url + tail, self.path + tail)


def _file_problem(
    directory: DirectoryExpectation, expected: ExpectedFile, answer: Answer
) -> DirectoryVerdict | None:
    """The verdict when the answer for one expected file shows the directory is not (known to
    be) up to date; ``None`` when the file looks right."""
    dir_id = directory.directory_id
    status = answer.status
    if status in (404, 410):
        return DirectoryVerdict(dir_id, False, f"HTTP {status} for {expected.name}")
    if status == 403:
        return DirectoryVerdict(
            dir_id, False if directory.readable else None, f"HTTP 403 for {expected.name}"
        )
    if not 200 <= status < 300:
        return DirectoryVerdict(dir_id, None, f"HTTP {status} for {expected.name}")
    length = answer.length
    if length is not None and expected.size is not None:
        try:
            claimed = int(length)
        except ValueError:
            raise UrlFailure(f"bad Content-Length {length!r}: {answer.url}") from None
        if claimed != expected.size:
            return DirectoryVerdict(
                dir_id, False, f"{expected.name} has size {claimed}, master has {expected.size}"
            )
    if answer.content_type.startswith("text/html") and not expected.name.endswith(_HTML_SUFFIXES):
        return DirectoryVerdict(dir_id, False, f"HTML page instead of {expected.name}")
    return None


@attrs.define
class _Counter:
    value: int = 0


class HttpProtocol:
    """``http`` and ``https`` mirror URLs."""

    name = "http"
    schemes: tuple[str, ...] = ("http", "https")
    preference = 20

    def __init__(self, verify: Any = True) -> None:
        #: TLS verification (``True``, ``False`` or an :class:`ssl.SSLContext`)
        self.verify = verify

    @asynccontextmanager
    async def session(self, limits: CrawlerConfig) -> AsyncIterator[HttpSession]:
        # httpcore logs every step of every request at DEBUG: thousands of lines per mirror;
        # the host logs say what matters
        for name in ("httpx", "httpcore"):
            logger = logging.getLogger(name)
            logger.setLevel(max(logging.WARNING, logger.level))
        # built once: loading the CA bundle costs milliseconds (httpx's own defaults: the
        # certifi bundle, hostname checks, TLS >= 1.2); HTTP/1.1 only
        ssl_context = httpx.create_ssl_context(verify=self.verify, trust_env=False)
        ssl_context.set_alpn_protocols(["http/1.1"])
        yield HttpSession(
            limits,
            timeouts={
                "connect": limits.connect_timeout,
                "read": limits.operation_timeout,
                "write": limits.operation_timeout,
                "pool": limits.operation_timeout,
            },
            headers=[
                (b"User-Agent", limits.user_agent.encode("ascii", "replace")),
                (b"Accept", b"*/*"),
                # sizes and checksums are of the files as stored, never of a compressed copy
                (b"Accept-Encoding", b"identity"),
                (b"Pragma", b"no-cache"),
            ],
            ssl_context=ssl_context,
        )
