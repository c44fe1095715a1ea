"""JSON answers of the API: conditional reads (ETag / If-None-Match), keyset pages with opaque
cursors, request bodies."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

from quart import Response, request

from mirrormanager_quart_ui.api.errors import ApiError
from mirrormanager_quart_ui.api.registry import Param

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
_CURSOR_VERSION = "k1"

PAGE_PARAMS = (
    Param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT}, "items per page"),
    Param("cursor", {"type": "string"}, "the `next_cursor` of the previous page (opaque)"),
)


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode(data: Any) -> bytes:
    return json.dumps(data, default=_default, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False).encode("utf-8")


def json_response(data: Any, status: int = 200) -> Response:
    return Response(encode(data), status=status, content_type="application/json")


def conditional(data: Any) -> Response:
    """``data`` as JSON with a strong ETag of its bytes; 304 when the client has it already."""
    body = encode(data)
    etag = hashlib.sha256(body).hexdigest()[:32]
    if request.if_none_match.contains(etag) or request.if_none_match.star_tag:
        response = Response(b"", status=304)
    else:
        response = Response(body, status=200, content_type="application/json")
    response.set_etag(etag)
    response.headers["Vary"] = "Authorization, Cookie"
    return response


def encode_cursor(row_id: int) -> str:
    raw = f"{_CURSOR_VERSION}:{row_id}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The id a cursor continues after (0 when there is none)."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        version, _, number = raw.partition(":")
        if version != _CURSOR_VERSION or not number.isdigit() or len(number) > 18:
            raise ValueError(raw)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "invalid_cursor", "cursor: not a cursor this API handed out",
                       "cursor") from None


def page_request() -> tuple[int, int]:
    """``(after_id, limit)`` of the request's ``cursor`` and ``limit``."""
    raw = request.args.get("limit", "")
    if raw:
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise ApiError(400, "invalid", f"limit: expected 1 to {MAX_LIMIT}", "limit")
        limit = int(raw)
    else:
        limit = DEFAULT_LIMIT
    return decode_cursor(request.args.get("cursor")), limit


def page(rows: Sequence[Any], limit: int, show: Callable[[Any], dict[str, Any]],
         key: Callable[[Any], int] = lambda row: row.id) -> dict[str, Any]:
    """A page of ``rows`` (read with ``limit + 1``, so one more says there is a next page)."""
    shown = rows[:limit]
    more = len(rows) > limit
    return {"items": [show(row) for row in shown],
            "next_cursor": encode_cursor(key(shown[-1])) if more and shown else None}


def query_filter(name: str, kind: str = "text", max_length: int = 255) -> Any:
    """A filter of the query string: text or a positive integer; ``None`` when absent."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if kind == "int":
        if not raw.isdigit() or len(raw) > 12:
            raise ApiError(400, "invalid", f"{name}: expected a positive integer", name)
        return int(raw)
    if len(raw) > max_length:
        raise ApiError(400, "invalid", f"{name}: at most {max_length} characters", name)
    return raw


async def json_body() -> dict[str, Any]:
    """The request's JSON object (of strings, numbers, booleans and nulls)."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type",
                       "send the body as JSON (Content-Type: application/json)")
    data = await request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "the body must be a JSON object")
    for key, value in data.items():
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise ApiError(422, "invalid", f"{key}: expected a string, number, boolean or "
                           "null", key)
    return data
