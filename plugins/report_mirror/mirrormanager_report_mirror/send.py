"""Sending a report: XML-RPC ``checkin(data)``, as report_mirror does, with a timeout."""

from __future__ import annotations

import http.client
import xmlrpc.client

class SendError(Exception):
    """The report did not reach the server or the server refused the call."""


class _Timeout:
    """Gives the transport's connections a timeout (``ServerProxy`` has none of its own)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()  # type: ignore[call-arg]
        self.timeout = timeout

    def make_connection(self, host: object) -> http.client.HTTPConnection:
        connection = super().make_connection(host)  # type: ignore[misc]
        connection.timeout = self.timeout
        return connection


class _TimeoutTransport(_Timeout, xmlrpc.client.Transport):
    pass


class _TimeoutSafeTransport(_Timeout, xmlrpc.client.SafeTransport):
    pass


def send_report(server: str, data: str, *, timeout: float) -> str:
    """Call ``checkin(data)`` on ``server`` (an ``http(s)://.../xmlrpc`` URL); the server's
    answer.

    :raises SendError: a bad URL, a network error or timeout, an HTTP error, an XML-RPC fault.
    """
    transport_class = _TimeoutSafeTransport if server.startswith("https:") else _TimeoutTransport
    try:
        proxy = xmlrpc.client.ServerProxy(server, transport=transport_class(timeout))
    except OSError as exc:
        raise SendError(f"server {server!r}: {exc}") from None
    try:
        with proxy:
            answer = proxy.checkin(data)
    except xmlrpc.client.Fault as fault:
        raise SendError(f"the server refused the report: {fault.faultString} "
                        f"(fault {fault.faultCode})") from None
    except xmlrpc.client.ProtocolError as exc:
        status = f"HTTP {exc.errcode} {exc.errmsg}".rstrip()
        raise SendError(f"error checking in: {status} from {server}; please try again "
                        "later") from None
    except (OSError, http.client.HTTPException, xmlrpc.client.ResponseError) as exc:
        raise SendError(f"error checking in: {exc or type(exc).__name__} ({server}); please try "
                        "again later") from None
    except Exception as exc:  # an answer that is not XML-RPC (expat, unmarshalling)
        raise SendError(f"error checking in: {server} did not answer with XML-RPC: "
                        f"{type(exc).__name__}: {exc}") from None
    if not isinstance(answer, str):
        raise SendError(f"error checking in: {server} answered {type(answer).__name__}, "
                        "not a message")
    return answer
