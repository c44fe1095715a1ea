"""``Authorization: Bearer`` authentication of API requests with API tokens
(:mod:`mmcore.accounts.api_tokens`), an authenticator of the UI's ``mm_ui_authenticators``
hook."""

from __future__ import annotations

import logging

from quart import Request, g

from mmcore.accounts.identity import Identity
from mmcore.logs import kv

from mirrormanager_quart_ui.api.blueprint import PREFIX
from mirrormanager_quart_ui.api.errors import ApiError
from mirrormanager_quart_ui.context import UiContext

log = logging.getLogger(__name__)


class BearerTokenAuthenticator:
    """Identifies API requests (paths under ``/api/``) that carry a Bearer token; a token
    that is unknown, revoked or expired is answered 401 (never taken as anonymous)."""

    name = "api-token"

    def __init__(self, ui: UiContext) -> None:
        self.ui = ui

    async def authenticate(self, request: Request) -> Identity | None:
        if not request.path.startswith(PREFIX + "/"):
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        grant = await self.ui.db(self.ui.api_tokens.authenticate, credentials.strip())
        if grant is None:
            log.info(kv(event="api_token_refused", path=request.path))
            raise ApiError(401, "unauthenticated",
                           "the API token is unknown, revoked or expired",
                           headers={"WWW-Authenticate":
                                    'Bearer realm="mirrormanager", error="invalid_token"'})
        g.api_grant = grant
        return grant.identity
