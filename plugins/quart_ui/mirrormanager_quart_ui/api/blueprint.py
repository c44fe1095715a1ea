"""The API's blueprint and route registry, and what every API request goes through: the API
token's scope (a ``read`` token changes nothing; ``read`` and ``write`` tokens act without
MirrorManager admin rights) after the UI's own identity and CSRF checks
(:mod:`mirrormanager_quart_ui.security`: a session-authenticated write must send the
``X-CSRF-Token`` header; a token-authenticated one needs none)."""

from __future__ import annotations

from quart import Blueprint, g, request

from mirrormanager_quart_ui.api.errors import ApiError, install_error_handlers
from mirrormanager_quart_ui.api.registry import ApiRegistry
from mirrormanager_quart_ui.security import UNSAFE_METHODS

PREFIX = "/api"

api = Blueprint("api", __name__)
registry = ApiRegistry(api, PREFIX)
install_error_handlers(api)


@api.before_request
async def apply_token_scope() -> None:
    grant = getattr(g, "api_grant", None)
    if grant is None:
        return
    g.actor = grant.limit(g.actor)
    if request.method in UNSAFE_METHODS and not grant.may_write:
        raise ApiError(403, "insufficient_scope",
                       f"this token's scope is {grant.scope!r}: it may only read")
