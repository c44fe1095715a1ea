"""The Quart application: built from the runtime, with every page contributed through the UI's
hooks (the built-in ones too, see :mod:`mirrormanager_quart_ui.builtin`).

Database calls run in worker threads (:meth:`UiContext.db`); a database that is unreachable
answers 503 with a page saying so, and every write is one transaction, so nothing is left half
written.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from quart import Response, request
from quart_trio import QuartTrio
from werkzeug.exceptions import HTTPException

from mmcore.accounts.api_tokens import ApiTokenService
from mmcore.accounts.service import AccountService
from mmcore.logs import kv
from mmcore.manage.errors import ManageError
from mmcore.manage.service import ManageService
from mmcore.store import StoreError

from mirrormanager_quart_ui import hookspecs
from mirrormanager_quart_ui.rendering import kept_fields, page_url_for, render_page
from mirrormanager_quart_ui.config import UiConfig
from mirrormanager_quart_ui.context import EXTENSION_KEY, TtlCache, UiContext, current_actor
from mirrormanager_quart_ui.secret_key import secret_key
from mirrormanager_quart_ui.security import CsrfRefused, install

log = logging.getLogger(__name__)

CSRF_MESSAGE = ("This form is out of date or did not come from this site (its security token "
                "is missing or belongs to another session). Reload the page and send it again.")


def _crawl_log_dir(runtime: Any) -> Path | None:
    try:
        from mmcore.crawl.config import CrawlerConfig

        return runtime.section("crawler", CrawlerConfig).log_path(runtime.config.data_dir)
    except (KeyError, TypeError):
        return None


def _url_schemes(runtime: Any) -> frozenset[str] | None:
    """The URL schemes the installed crawl protocols handle."""
    try:
        protocols = runtime.collect("mm_crawl_protocols")
    except (AttributeError, TypeError):
        return None
    schemes = {scheme for protocol in protocols for scheme in getattr(protocol, "schemes", ())}
    return frozenset(schemes) or None


def _local_groups(store: Any, username: str) -> tuple[str, ...] | None:
    """A local user's groups now (``None``: no such local user)."""
    user = store.user_by_name(username)
    return store.user_groups(user.id) if user is not None else None


def create_app(runtime: Any, settings: UiConfig | None = None) -> QuartTrio:
    """The web UI for ``runtime``'s store and plugins (``settings``: ``[ui]`` by default)."""
    settings = settings or runtime.section("ui", UiConfig)
    plugin_manager = runtime.plugin_manager
    if not hasattr(plugin_manager.hook, "mm_ui_routes"):
        plugin_manager.add_hookspecs(hookspecs)
    store = runtime.open_store()
    app = QuartTrio(__name__)
    app.secret_key = secret_key(settings, Path(runtime.config.data_dir))
    app_url = settings.application_url.rstrip("/")
    ui = UiContext(
        runtime=runtime,
        settings=settings,
        store=store,
        manage=ManageService(store, settings.manage_rules(_url_schemes(runtime)),
                             host_url=lambda host_id: f"{app_url}/host/{host_id}"),
        accounts=AccountService(store, settings.account_rules()),
        api_tokens=ApiTokenService(store, max_days=settings.api_token_max_days,
                                   local_groups=lambda name: _local_groups(store, name)),
        crawl_log_dir=_crawl_log_dir(runtime),
        public_cache=TtlCache(settings.public_cache_seconds),
        host_counts=TtlCache(settings.host_counts_seconds),
    )
    app.extensions[EXTENSION_KEY] = ui
    install(app)

    for routes in runtime.collect("mm_ui_routes", ui=ui):
        app.register_blueprint(routes.blueprint, url_prefix=routes.url_prefix)
        if routes.csrf_exempt:
            ui.csrf_exempt.add(routes.blueprint.name)
    ui.navigation = sorted(runtime.collect("mm_ui_navigation", ui=ui),
                           key=lambda entry: (entry.order, entry.label))
    ui.host_panels = sorted(runtime.collect("mm_ui_host_panels", ui=ui),
                            key=lambda panel: (panel.order, panel.title))
    ui.authenticators = list(runtime.collect("mm_ui_authenticators", ui=ui))
    _install_templates(app, ui)
    _install_error_pages(app)
    return app


def _install_templates(app: QuartTrio, ui: UiContext) -> None:

    def navigation() -> list[tuple[str, str]]:
        actor = current_actor()
        shown = []
        for entry in ui.navigation:
            visible = {
                "anyone": True, "anonymous": not actor.authenticated,
                "user": actor.authenticated, "admin": actor.is_admin,
            }[entry.audience]
            if visible:
                href = entry.target if entry.target.startswith("/") else page_url_for(entry.target)
                shown.append((entry.label, href))
        return shown

    app.jinja_env.globals.update(
        site_title=ui.settings.title, navigation=navigation, actor=current_actor,
        kept_fields=kept_fields, url_for=page_url_for,
        oidc_enabled="oidc" in ui.settings.auth and bool(ui.settings.oidc_issuer),
        local_auth="local" in ui.settings.auth,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


async def problem(message: str, status: int, title: str | None = None) -> Response:
    """A page that says what went wrong (HTML, or JSON for a client that asks for it)."""
    if request.accept_mimetypes.best == "application/json":
        from quart import jsonify

        response = jsonify({"error": message, "status": status})
    else:
        response = Response(await render_page(
            "problem.html", message=message, status=status,
            title=title or _TITLES.get(status, "Request refused")))
    response.status_code = status
    return response


_TITLES = {400: "Bad request", 403: "Not allowed", 404: "Not found", 409: "Conflict",
           413: "Too large", 422: "Not accepted", 429: "Too many attempts",
           503: "Service unavailable"}


def _install_error_pages(app: QuartTrio) -> None:
    @app.errorhandler(ManageError)
    async def refused(error: ManageError) -> Response:
        return await problem(error.message, error.status)

    @app.errorhandler(CsrfRefused)
    async def csrf(_error: CsrfRefused) -> Response:
        return await problem(CSRF_MESSAGE, 400, "Form expired")

    @app.errorhandler(StoreError)
    async def database_unavailable(error: StoreError) -> Response:
        log.error(kv(event="database_unavailable", path=request.path, error=str(error)))
        return await problem("The database is not reachable right now; nothing was changed. "
                             "Try again in a moment.", 503)

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> Response:
        if error.code is not None and error.code < 400:
            return error.get_response()
        return await problem(error.description or error.name, error.code or 500)


__all__ = ["create_app", "problem"]
