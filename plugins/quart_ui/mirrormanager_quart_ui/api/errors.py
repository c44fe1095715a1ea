"""The API's one error shape: ``{"error": {"code", "message", "field"}}``, for every refusal
(bad input, permissions, CSRF, unknown token, missing object, database down)."""

from __future__ import annotations

import logging

from quart import Response, jsonify, request
from werkzeug.exceptions import HTTPException

from mmcore.logs import kv
from mmcore.manage.errors import Conflict, InvalidInput, ManageError, NotFound, PermissionDenied
from mmcore.store import StoreError

from mirrormanager_quart_ui.context import current_actor
from mirrormanager_quart_ui.security import CsrfRefused

log = logging.getLogger(__name__)

#: ``error.code`` per refusal of the management rules
MANAGE_CODES: dict[type[ManageError], str] = {
    InvalidInput: "invalid", PermissionDenied: "forbidden", NotFound: "not_found",
    Conflict: "conflict",
}
#: ``error.code`` per HTTP status of other refusals
HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large", 415:
              "unsupported_media_type", 422: "invalid", 429: "too_many_requests",
              503: "unavailable"}
#: every ``error.code`` the API answers with (documented in the OpenAPI document)
ERROR_CODES = tuple(sorted({*MANAGE_CODES.values(), *HTTP_CODES.values(), "csrf",
                            "insufficient_scope", "invalid_cursor", "invalid_json",
                            "internal"}))


class ApiError(Exception):
    """A refusal of the API layer itself (a malformed cursor, a body that is not JSON)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "field": field}})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def unauthenticated(message: str) -> Response:
    return error_response(401, "unauthenticated", message,
                          headers={"WWW-Authenticate": 'Bearer realm="mirrormanager"'})


def install_error_handlers(blueprint) -> None:  # type: ignore[no-untyped-def]
    """Answer every refusal of ``blueprint``'s requests in the error shape."""

    @blueprint.errorhandler(ApiError)
    async def api_error(error: ApiError) -> Response:
        return error_response(error.status, error.code, error.message, error.field,
                              error.headers)

    @blueprint.errorhandler(ManageError)
    async def refused(error: ManageError) -> Response:
        if isinstance(error, PermissionDenied) and not current_actor().authenticated:
            return unauthenticated("log in or send an API token (Authorization: Bearer)")
        return error_response(error.status, MANAGE_CODES.get(type(error), "invalid"),
                              error.message, error.field)

    @blueprint.errorhandler(CsrfRefused)
    async def csrf(_error: CsrfRefused) -> Response:
        return error_response(403, "csrf", "a request authenticated by the session cookie "
                              "must send the session's CSRF token in the X-CSRF-Token header "
                              "(GET /api/v1/me shows it); API tokens need none")

    @blueprint.errorhandler(StoreError)
    async def unavailable(error: StoreError) -> Response:
        log.error(kv(event="database_unavailable", path=request.path, error=str(error)))
        return error_response(503, "unavailable", "the database is not reachable right now; "
                              "nothing was changed")

    @blueprint.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> Response:
        if error.code is not None and error.code < 400:
            return error.get_response()
        status = error.code or 500
        return error_response(status, HTTP_CODES.get(status, "internal"),
                              error.description or error.name)
