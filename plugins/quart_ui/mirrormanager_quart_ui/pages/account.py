"""Local accounts: log-in, log-out, registration, e-mail confirmation, password reset.

Answers never reveal whether an account exists (see :mod:`mmcore.accounts.service`); failed
log-ins are held back by ``[ui] login_failure_delay`` and refused while throttled.
"""

from __future__ import annotations

import logging

import trio
from quart import Blueprint, Response, abort, flash, request, url_for

from mmcore.accounts.service import (
    LOGIN_FAILED,
    REGISTERED,
    RESET_SENT,
    LoginFailed,
    LoginThrottled,
    NotConfirmed,
)
from mmcore.logs import kv
from mmcore.manage.errors import ManageError

from mirrormanager_quart_ui.rendering import render_page
from mirrormanager_quart_ui.context import ui_context
from mirrormanager_quart_ui.pages.common import form_values, see_other
from mirrormanager_quart_ui.security import begin_session, client_address, end_session

log = logging.getLogger(__name__)

account = Blueprint("account", __name__)

MAX_TOKEN = 128


def _links(purpose: str, token: str) -> str:
    ui = ui_context()
    endpoint = {"confirm": "account.confirm", "reset": "account.reset"}[purpose]
    path = url_for(endpoint, token=token)
    base = ui.settings.application_url.rstrip("/") or request.host_url.rstrip("/")
    return base + path


def _safe_next(target: str | None) -> str:
    """Only local paths (no ``//host`` or ``scheme:``) are followed after log-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target[:500]
    return url_for("sites.mine")


def _require_local() -> None:
    if "local" not in ui_context().settings.auth:
        abort(404, "Local accounts are not enabled on this server.")


@account.get("/login")
async def login_form() -> str:
    return await render_page("login.html", next=request.args.get("next", ""))


@account.post("/login")
async def login() -> Response | tuple[str, int]:
    _require_local()
    ui = ui_context()
    form = await form_values()
    username, password = form.get("username", "")[:255], form.get("password", "")[:1024]
    address = client_address()
    try:
        started = await ui.db(ui.accounts.login, username, password, address)
    except LoginThrottled as throttled:
        log.warning(kv(event="login_throttled", username=username, address=address))
        page = await render_page("login.html", next=form.get("next", ""),
                                     error="Too many failed log-ins. Try again in "
                                           f"{max(1, throttled.retry_after // 60)} minute(s).")
        response = Response(page, 429)
        response.headers["Retry-After"] = str(throttled.retry_after)
        return response
    except (LoginFailed, NotConfirmed) as failed:
        log.info(kv(event="login_failed", username=username, address=address))
        await trio.sleep(ui.settings.login_failure_delay)
        message = str(failed) if isinstance(failed, NotConfirmed) else LOGIN_FAILED
        return await render_page("login.html", next=form.get("next", ""),
                                     error=message), 401
    begin_session(started)
    log.info(kv(event="login", username=started.record.username, address=address))
    return see_other_path(_safe_next(form.get("next")))


def see_other_path(path: str) -> Response:
    from quart import redirect

    return redirect(path, 303)


@account.post("/logout")
async def logout() -> Response:
    ui = ui_context()
    key = end_session()
    if key:
        await ui.db(ui.accounts.logout, key)
    await flash("You are logged out.")
    return see_other("public.index")


@account.get("/register")
async def register_form() -> str:
    _require_local()
    return await render_page("register.html", values={})


@account.post("/register")
async def register() -> str | tuple[str, int]:
    _require_local()
    ui = ui_context()
    form = await form_values()
    try:
        mail = await ui.db(ui.accounts.register, form.get("username", ""),
                           form.get("email", ""), form.get("password", ""), _links,
                           form.get("display_name") or None)
    except ManageError as error:
        form.pop("password", None)
        return await render_page("register.html", values=form, error=error.message,
                                     field=error.field), error.status
    await ui.send_mail(mail)
    return await render_page("message.html", title="Check your mail", message=REGISTERED)


@account.get("/confirm/<token>")
async def confirm_form(token: str) -> str:
    return await render_page("confirm.html", token=token[:MAX_TOKEN])


@account.post("/confirm/<token>")
async def confirm(token: str) -> str | tuple[str, int]:
    ui = ui_context()
    if len(token) <= MAX_TOKEN and await ui.db(ui.accounts.confirm, token):
        return await render_page("message.html", title="Address confirmed",
                                     message="Your address is confirmed. You can log in now.",
                                     login=True)
    return await render_page(
        "message.html", title="Link not valid",
        message="This confirmation link is not valid (already used or expired). Reset your "
                "password to confirm your address with a new link."), 404


@account.get("/password/lost")
async def lost_form() -> str:
    _require_local()
    return await render_page("lost.html")


@account.post("/password/lost")
async def lost() -> str:
    _require_local()
    ui = ui_context()
    form = await form_values()
    mail = await ui.db(ui.accounts.request_reset, form.get("email", "")[:255], _links)
    if mail is not None:
        await ui.send_mail(mail)
    return await render_page("message.html", title="Check your mail", message=RESET_SENT)


@account.get("/password/reset/<token>")
async def reset_form(token: str) -> str:
    return await render_page("reset.html", token=token[:MAX_TOKEN])


@account.post("/password/reset/<token>")
async def reset(token: str) -> str | tuple[str, int]:
    ui = ui_context()
    form = await form_values()
    if len(token) > MAX_TOKEN:
        abort(404)
    try:
        done = await ui.db(ui.accounts.reset_password, token, form.get("password", ""))
    except ManageError as error:
        return await render_page("reset.html", token=token, error=error.message), 422
    if not done:
        return await render_page(
            "message.html", title="Link not valid",
            message="This reset link is not valid (already used or expired)."), 404
    return await render_page("message.html", title="Password changed",
                                 message="Your new password is set. Log in with it.", login=True)


__all__ = ["account"]
