"""``POST /xmlrpc``: report_mirror's ``checkin(data)`` over HTTP.

Answers are XML-RPC responses with status 200, faults included (as XML-RPC servers do, so the
client sees the fault's message): the check-in's string for everything MirrorManager2 answered
with a string, a fault for a request or payload that cannot be read (too large, not XML, a DTD,
not base64, not bzip2, a bzip2 bomb, a pickle, not JSON, too many directories) and for a
database failure.  The request size is checked before the body is read (``Content-Length``) and
while it is read (chunked bodies), against ``[checkin] max_request_bytes`` or the web UI's own
limit (``[ui] max_request_bytes``, Quart's ``MAX_CONTENT_LENGTH``) when that is lower.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import trio
from quart import Blueprint, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from mmcore.checkin.config import CheckinConfig
from mmcore.checkin.payload import PayloadError
from mmcore.checkin.service import check_in
from mmcore.checkin.store import CheckinStore
from mmcore.events import HostCheckedIn
from mmcore.logs import kv
from mmcore.store import StoreError

from mirrormanager_quart_ui.checkin.xmlrpc import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    XmlRpcFault,
    fault_response,
    parse_call,
    response,
)

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/xml; charset=utf-8"


def checkin_blueprint(
    store: CheckinStore,
    config: CheckinConfig,
    *,
    announce: Callable[[HostCheckedIn], None] | None = None,
) -> Blueprint:
    """The blueprint serving ``POST /xmlrpc`` for ``store`` under ``config``'s limits."""
    blueprint = Blueprint("checkin", __name__)
    decode_limiter = trio.CapacityLimiter(config.concurrent_decodes)

    @blueprint.post("/xmlrpc")
    async def xmlrpc_endpoint() -> Response:
        client = request.remote_addr or "-"
        try:
            body = await _read_body(_request_limit(config))
            method, params = parse_call(body)
            if method != "checkin":
                raise XmlRpcFault(
                    METHOD_NOT_FOUND, f"unknown method {method[:100]!r}: this endpoint has checkin"
                )
            if len(params) != 1:
                raise XmlRpcFault(
                    INVALID_PARAMS, f"checkin takes one argument, got {len(params)}"
                )
            outcome = await check_in(
                store, params[0], config, decode_limiter=decode_limiter, announce=announce
            )
        except XmlRpcFault as fault:
            return _fault(fault, client)
        except PayloadError as exc:
            return _fault(XmlRpcFault(INVALID_PARAMS, str(exc)), client)
        except StoreError as exc:
            log.error(kv(event="checkin_database_error", client=client, error=str(exc)))
            return _fault(
                XmlRpcFault(INTERNAL_ERROR, "the database is unavailable; try again later"),
                client,
            )
        return Response(response(outcome.message), content_type=CONTENT_TYPE)

    return blueprint


def _request_limit(config: CheckinConfig) -> int:
    """``[checkin] max_request_bytes``, or the app's own limit (``[ui] max_request_bytes``)
    when that is lower: Quart stops reading a body there."""
    app_limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return min(config.max_request_bytes, app_limit) if app_limit else config.max_request_bytes


async def _read_body(limit: int) -> bytes:
    too_large = XmlRpcFault(
        INVALID_REQUEST,
        f"request is larger than {limit} bytes (the max_request_bytes limit of [checkin] "
        "and [ui])",
    )
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    body = bytearray()
    try:
        async for chunk in request.body:
            body += chunk
            if len(body) > limit:
                raise too_large
    except RequestEntityTooLarge:
        raise too_large from None
    return bytes(body)


def _fault(fault: XmlRpcFault, client: str) -> Response:
    log.warning(kv(event="checkin_fault", client=client, code=fault.code,
                   reason=fault.message[:200]))
    return Response(fault_response(fault), content_type=CONTENT_TYPE)
