"""Who is asking, and is the request genuine: identity loading, CSRF, security headers.

* Identity: each request is offered to the plugins' authenticators first (an API token); else
  the signed session cookie's session key is looked up server-side (``mm_session``), so a
  logout or an expiry ends the session whatever the browser keeps.
* CSRF: every state-changing request authenticated by the cookie must carry the session's token
  (form field ``csrf_token`` or header ``X-CSRF-Token``), compared in constant time.  Requests an
  authenticator identified and blueprints declared ``csrf_exempt`` skip it.
* The session cookie is signed (itsdangerous), ``HttpOnly``, ``SameSite=Lax``, ``Secure`` unless
  ``[ui] cookie_secure = false``.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from quart import Quart, g, request, session

from mmcore.accounts.identity import Identity
from mmcore.accounts.service import Login
from mmcore.logs import kv

from mirrormanager_quart_ui.context import UiContext, ui_context

log = logging.getLogger(__name__)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class CsrfRefused(Exception):
    """A state-changing request without the session's CSRF token."""


#: the session's CSRF token while a page renders (read once, not once per form)
_rendering_token: ContextVar[str | None] = ContextVar("rendering_csrf_token", default=None)


def csrf_token() -> str:
    """The session's CSRF token (created on first use); rendered into every form."""
    token = _rendering_token.get()
    if token:
        return token
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


@contextmanager
def one_csrf_token() -> Iterator[None]:
    """Within the block, :func:`csrf_token` answers the session's token without looking the
    session up again (a page with many forms renders faster)."""
    reset = _rendering_token.set(csrf_token())
    try:
        yield
    finally:
        _rendering_token.reset(reset)


def client_address() -> str:
    """The client's address: the connection's, or the last ``X-Forwarded-For`` entry when the
    connection comes from one of ``[ui] trusted_proxies``."""
    address = request.remote_addr or ""
    if address in ui_context().settings.trusted_proxies:
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        address = forwarded or address
    return address[:50]


def begin_session(login: Login) -> None:
    """Put a new session key in a fresh cookie (a new CSRF token too: no fixation)."""
    session.clear()
    session["sid"] = login.key
    session["csrf"] = secrets.token_urlsafe(32)
    session.permanent = True


def end_session() -> str | None:
    """Forget the cookie's session; return its key so the caller can end it server-side."""
    key = session.get("sid")
    session.clear()
    return key


async def _identify(ui: UiContext) -> None:
    g.identity = None
    g.via_authenticator = False
    for authenticator in ui.authenticators:
        identity = await authenticator.authenticate(request)
        if identity is not None:
            g.identity = identity
            g.via_authenticator = True
            break
    else:
        key = session.get("sid")
        if key:
            record = await ui.db(ui.accounts.session, key)
            if record is None:
                session.pop("sid", None)
            else:
                g.identity = Identity(record.username, record.groups, record.email,
                                      record.display_name, record.provider)
    g.actor = ui.actor_for(g.identity)


async def _check_csrf(ui: UiContext) -> None:
    if request.method not in UNSAFE_METHODS or g.via_authenticator:
        return
    if request.blueprint in ui.csrf_exempt:
        return
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        form = await request.form
        sent = form.get(CSRF_FIELD)
    expected = session.get("csrf")
    if not (sent and expected and hmac.compare_digest(str(sent), str(expected))):
        log.warning(kv(event="csrf_refused", path=request.path, address=client_address()))
        raise CsrfRefused()


def install(app: Quart) -> None:
    """Wire identity loading, the CSRF check and the security headers into ``app``."""
    settings = app.extensions["mirrormanager"].settings
    app.config.update(
        SESSION_COOKIE_NAME=settings.cookie_name,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=settings.session_lifetime,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
    )

    @app.before_request
    async def identify_and_check() -> None:
        if request.endpoint == "static":
            return
        ui = ui_context()
        await _identify(ui)
        await _check_csrf(ui)

    @app.after_request
    async def security_headers(response):  # type: ignore[no-untyped-def]
        headers = response.headers
        headers.setdefault("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                           "script-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                           "base-uri 'none'")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if getattr(g, "identity", None) is not None:
            headers["Cache-Control"] = "no-store"
            headers["Vary"] = "Cookie"
        return response

    app.jinja_env.globals["csrf_token"] = csrf_token
