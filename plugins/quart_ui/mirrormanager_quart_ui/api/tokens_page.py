"""The account page where a user creates and revokes API tokens (``/account/tokens``):
CSRF-protected forms like every page; the new token's plaintext is shown once."""

from __future__ import annotations

from quart import Blueprint
from quart.typing import ResponseReturnValue

from mmcore.accounts.api_tokens import SCOPES, NewApiToken, utcnow
from mmcore.manage.errors import ManageError

from mirrormanager_quart_ui.context import current_actor, current_identity, ui_context
from mirrormanager_quart_ui.pages.common import form_values, see_other
from mirrormanager_quart_ui.pages.sites import login_redirect
from mirrormanager_quart_ui.rendering import render_page

api_tokens = Blueprint("api_tokens", __name__)


async def _page(*, created: NewApiToken | None = None, error: ManageError | None = None,
                values: dict | None = None, status: int = 200) -> ResponseReturnValue:
    ui = ui_context()
    actor = current_actor()
    tokens = await ui.db(ui.api_tokens.tokens, actor)
    scopes = SCOPES if actor.is_admin else tuple(s for s in SCOPES if s != "admin")
    return await render_page("api_tokens.html", tokens=tokens, created=created, error=error,
                             values=values or {}, scopes=scopes, now=utcnow(),
                             max_days=ui.api_tokens.max_days), status


@api_tokens.get("/account/tokens")
async def index() -> ResponseReturnValue:
    if (gone := login_redirect()) is not None:
        return gone
    return await _page()


@api_tokens.post("/account/tokens")
async def create() -> ResponseReturnValue:
    if (gone := login_redirect()) is not None:
        return gone
    ui = ui_context()
    form = await form_values()
    identity = current_identity()
    assert identity is not None
    try:
        created = await ui.db(ui.api_tokens.create, identity, current_actor(), form)
    except ManageError as error:
        return await _page(error=error, values=form, status=error.status)
    return await _page(created=created)


@api_tokens.post("/account/tokens/<int:token_id>/revoke")
async def revoke(token_id: int) -> ResponseReturnValue:
    if (gone := login_redirect()) is not None:
        return gone
    ui = ui_context()
    await ui.db(ui.api_tokens.revoke, current_actor(), token_id)
    return see_other("api_tokens.index")
