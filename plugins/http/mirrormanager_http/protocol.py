"""The HTTP(S) crawl protocol, on httpx under trio.

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
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import attrs
import httpx
import trio

from mmcore.crawl.protocol import (
    REPOMD_NAME,
    CategoryCheck,
    CrawlLimits,
    DirectoryExpectation,
    DirectoryVerdict,
    ExpectedFile,
    join_url,
)
from mmcore.logs import kv

PROBE_PREFIX = ".mirrormanager-probe-"
_HTML_SUFFIXES = (".html", ".htm", ".shtml", ".xhtml")
_REDIRECTS = frozenset((301, 302, 303, 307, 308))
#: a mirror's requests go one after the other over one keep-alive connection
_ONE_CONNECTION = httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=30)


class UrlFailure(Exception):
    """The URL cannot be used at all; the message is the reason recorded for the host."""


@attrs.frozen
class Answer:
    status: int
    headers: httpx.Headers
    url: str


def describe_error(exc: BaseException, url: str, limits: CrawlLimits) -> str:
    """One line saying what went wrong with ``url``."""
    if isinstance(exc, trio.TooSlowError | httpx.TimeoutException):
        return f"timeout after {limits.operation_timeout:g}s: {url}"
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        causes = list(_causes(exc))
        for cause in causes:
            if isinstance(cause, ssl.SSLError):
                return f"TLS error: {cause.reason or cause}: {url}"
            if isinstance(cause, socket.gaierror):
                return f"DNS failure: {cause}: {url}"
        text = next((str(c) for c in causes if str(c)), text)
        lowered = text.lower()
        if "ssl" in lowered or "certificate" in lowered or "tls" in lowered:
            return f"TLS error: {text}: {url}"
        if "name or service" in lowered or "nodename" in lowered or "getaddrinfo" in lowered:
            return f"DNS failure: {text}: {url}"
        return f"connection failed: {text}: {url}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"malformed response: {text}: {url}"
    if isinstance(exc, httpx.HTTPError):
        return f"{type(exc).__name__}: {text}: {url}"
    return f"{type(exc).__name__}: {text}: {url}"


def _causes(exc: BaseException):
    """``exc`` and the exceptions it was raised from, innermost last."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def same_host(original: str, target: str) -> bool:
    """A redirect stays on the mirror: same host name (and port, when not moving to https)."""
    a, b = urlsplit(original), urlsplit(target)
    if b.scheme not in ("http", "https") or a.hostname != b.hostname:
        return False
    if a.scheme == b.scheme:
        return a.port == b.port
    return b.port is None or b.port == 443


class MirrorClient:
    """Requests to one mirror, one after the other over one keep-alive HTTP/1.1 connection.

    Requests go straight to an :class:`httpx.AsyncHTTPTransport` (a pool of one connection),
    with the headers and timeouts built once per crawl: the client layer above it (URL merging,
    cookies, auth and redirect machinery, default headers) is not needed -- redirects are
    followed here, on the same host only -- and cost about a quarter of the crawler's CPU per
    request.
    One transport per mirror rather than one shared pool: httpcore scans, and polls the socket
    of, every pooled connection on every request, which at 100 mirrors at once was most of the
    crawler's CPU time.
    """

    def __init__(self, transport: httpx.AsyncHTTPTransport, session: HttpSession) -> None:
        self.transport = transport
        self.limits = session.limits
        self.headers = session.headers
        self.extensions = session.extensions

    async def head(self, url: str) -> Answer:
        """HEAD ``url``, following redirects on the same host only."""
        answer, _ = await self._exchange("HEAD", url)
        return answer

    async def get_sha256(
        self, url: str, wanted: Callable[[Answer], bool] | None = None
    ) -> tuple[Answer, str | None]:
        """GET ``url`` and hash its body, capped at ``max_body_bytes``: only for a 2xx answer
        whose headers ``wanted`` accepts (the body of any other is not read)."""
        return await self._exchange("GET", url, wanted)

    async def _exchange(
        self, method: str, url: str, wanted: Callable[[Answer], bool] | None = None
    ) -> tuple[Answer, str | None]:
        """One request and the same-host redirects it leads to: the final answer, and for a GET
        the sha256 of its body (``None`` when not read)."""
        seen = {url}
        current = url
        for _hop in range(self.limits.max_redirects + 1):
            try:
                with trio.fail_after(self.limits.operation_timeout):
                    answer, sha = await self._one(method, current, wanted)
            except (trio.TooSlowError, httpx.HTTPError, OSError) as exc:
                raise UrlFailure(describe_error(exc, current, self.limits)) from None
            except httpx.InvalidURL as exc:  # a registered URL or a redirect httpx cannot use
                raise UrlFailure(f"invalid URL: {exc}: {current}") from None
            if answer.status not in _REDIRECTS:
                return answer, sha
            location = answer.headers.get("location")
            if not location:
                return answer, sha
            target = urljoin(current, location)
            if not same_host(current, target):
                raise UrlFailure(f"redirect to another host: {current} -> {target}")
            if target in seen:
                raise UrlFailure(f"redirect loop: {current} -> {target}")
            seen.add(target)
            current = target
        raise UrlFailure(f"more than {self.limits.max_redirects} redirects from {url}")

    async def _one(
        self, method: str, url: str, wanted: Callable[[Answer], bool] | None
    ) -> tuple[Answer, str | None]:
        request = httpx.Request(method, url, headers=self.headers, extensions=self.extensions)
        response = await self.transport.handle_async_request(request)
        # the body is read from the transport's stream as it arrives on the wire: no content
        # decoding (Accept-Encoding is identity), no re-chunking
        body = response.stream
        assert isinstance(body, httpx.AsyncByteStream)
        try:
            answer = Answer(response.status_code, response.headers, url)
            if method == "HEAD":
                # no body: reading the end of the message frees the connection
                async for _chunk in body:
                    pass
                return answer, None
            if not 200 <= answer.status < 300 or (wanted is not None and not wanted(answer)):
                # a body not worth reading (an error page, a file of the wrong size): closing
                # the response drops the connection
                return answer, None
            hasher = hashlib.sha256()
            received = 0
            cap = self.limits.max_body_bytes
            async for chunk in body:
                received += len(chunk)
                if received > cap:
                    raise UrlFailure(f"body larger than {cap} bytes: {url}")
                hasher.update(chunk)
            return answer, hasher.hexdigest()
        finally:
            await body.aclose()


class HttpSession:
    """The crawl's HTTP settings, built once; one :class:`MirrorClient` per mirror checked."""

    def __init__(
        self,
        limits: CrawlLimits,
        *,
        timeout: httpx.Timeout,
        headers: httpx.Headers,
        ssl_context: ssl.SSLContext,
    ) -> None:
        self.limits = limits
        self.headers = headers
        #: per-request options of the transport: connect / read / write timeouts
        self.extensions = {"timeout": timeout.as_dict()}
        self.ssl_context = ssl_context

    @asynccontextmanager
    async def mirror(self) -> AsyncIterator[MirrorClient]:
        """A client with one keep-alive connection, closed when the mirror is done."""
        transport = httpx.AsyncHTTPTransport(
            verify=self.ssl_context, limits=_ONE_CONNECTION, trust_env=False, retries=0
        )
        async with transport:
            yield MirrorClient(transport, self)

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
            async with self.mirror() as client:
                await self._probe(client, base_url, counter, log)
                for directory in directories:
                    verdict = await self._check_directory(client, base_url, directory, counter)
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
        self, client: MirrorClient, base_url: str, counter: _Counter, log: logging.LoggerAdapter
    ) -> None:
        url = join_url(base_url, PROBE_PREFIX + secrets.token_hex(6))
        counter.value += 1
        answer = await client.head(url)
        if 200 <= answer.status < 300:
            raise UrlFailure(f"answers {answer.status} for a file that does not exist: {url}")
        log.debug(kv(event="probe", url=url, status=answer.status))

    async def _check_directory(
        self,
        client: MirrorClient,
        base_url: str,
        directory: DirectoryExpectation,
        counter: _Counter,
    ) -> DirectoryVerdict:
        dir_id = directory.directory_id
        directory_url = join_url(base_url, quote(directory.path))
        if not directory.files:
            # nothing to compare: the directory only has to exist (an index page, or a 403
            # where listings are off, both count)
            counter.value += 1
            answer = await client.head(directory_url + "/")
            if answer.status in (404, 410):
                return DirectoryVerdict(dir_id, False, f"HTTP {answer.status} for the directory")
            return DirectoryVerdict(dir_id, True)
        for expected in directory.files:
            url = directory_url + "/" + quote(expected.name)
            counter.value += 1
            sha: str | None = None
            digest = expected.name == REPOMD_NAME and bool(directory.repomd_sha256)
            if digest:
                # one GET answers both questions: the headers are judged as a HEAD's, and
                # only when they pass is the body read and hashed
                answer, sha = await client.get_sha256(
                    url, lambda got: _file_problem(directory, expected, got) is None
                )
            else:
                answer = await client.head(url)
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
    length = answer.headers.get("content-length")
    if length is not None and expected.size is not None:
        try:
            claimed = int(length)
        except ValueError:
            raise UrlFailure(f"bad Content-Length {length!r}: {answer.url}") from None
        if claimed != expected.size:
            return DirectoryVerdict(
                dir_id, False, f"{expected.name} has size {claimed}, master has {expected.size}"
            )
    content_type = answer.headers.get("content-type", "")
    if content_type.startswith("text/html") and not expected.name.endswith(_HTML_SUFFIXES):
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
    async def session(self, limits: CrawlLimits) -> AsyncIterator[HttpSession]:
        # httpx logs every request at INFO: thousands of lines per mirror; the host logs say
        # what matters
        logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))
        yield HttpSession(
            limits,
            timeout=httpx.Timeout(
                limits.operation_timeout,
                connect=limits.connect_timeout,
                pool=limits.operation_timeout,
            ),
            headers=httpx.Headers({
                "User-Agent": limits.user_agent,
                "Accept": "*/*",
                # sizes and checksums are of the files as stored, never of a compressed copy
                "Accept-Encoding": "identity",
                "Pragma": "no-cache",
            }),
            # built once: loading the CA bundle costs milliseconds
            ssl_context=httpx.create_ssl_context(verify=self.verify, trust_env=False),
        )
