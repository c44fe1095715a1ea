"""Hook implementations of the JSON API, its own entry point: it plugs into the web UI through
the UI's hooks (routes, the Bearer-token authenticator, a navigation entry), as a third-party
plugin would.  Nothing heavy is imported before the app is built."""

from __future__ import annotations

from typing import Any

from mmcore import hookimpl


@hookimpl
def mm_ui_routes(ui: Any) -> list[Any]:
    from mirrormanager_quart_ui.api import mm2, reads, writes  # noqa: F401  (register routes)
    from mirrormanager_quart_ui.api.blueprint import PREFIX, api
    from mirrormanager_quart_ui.api.openapi import docs_assets
    from mirrormanager_quart_ui.api.tokens_page import api_tokens
    from mirrormanager_quart_ui.extension import UiRoutes

    # not csrf_exempt: a write authenticated by the session cookie must send X-CSRF-Token;
    # one authenticated by a token (the authenticator below) skips the check
    return [UiRoutes(api, url_prefix=PREFIX), UiRoutes(docs_assets()), UiRoutes(api_tokens)]


@hookimpl
def mm_ui_authenticators(ui: Any) -> list[Any]:
    from mirrormanager_quart_ui.api.auth import BearerTokenAuthenticator

    return [BearerTokenAuthenticator(ui)]


@hookimpl
def mm_ui_navigation() -> list[Any]:
    from mirrormanager_quart_ui.extension import NavEntry

    return [NavEntry("API tokens", "api_tokens.index", audience="user", order=80),
            NavEntry("API", "/api/docs", order=85)]
