"""Helpers the page modules share: form values, paging, select options, redirects."""

from __future__ import annotations

from typing import Any

from quart import redirect, request, url_for
from quart.typing import ResponseReturnValue

from mmcore.manage.catalog import Kind
from mmcore.manage.rules import Actor
from mmcore.manage.store import Choice

from mirrormanager_quart_ui.context import ui_context

#: query string values longer than this are refused (no page needs more)
MAX_QUERY_VALUE = 200


async def form_values() -> dict[str, str]:
    """The submitted form, first value per field, without the CSRF token."""
    form = await request.form
    values = {key: form.get(key, "") for key in form.keys()}
    values.pop("csrf_token", None)
    return values


def query_int(name: str, default: int, minimum: int = 1, maximum: int = 10**6) -> int:
    raw = request.args.get(name, "")
    if not raw.isdigit() or len(raw) > 7:
        return default
    return max(minimum, min(maximum, int(raw)))


def query_text(name: str) -> str | None:
    value = request.args.get(name, "").strip()
    return value[:MAX_QUERY_VALUE] or None


def paging() -> tuple[int, int]:
    ui = ui_context()
    return query_int("page", 1), query_int("page_size", ui.settings.page_size, 1, 500)


async def choices_for(kind: Kind, actor: Actor) -> dict[str, tuple[Choice, ...]]:
    """Select options of the kind's ``ref`` fields (admin-only categories only for admins)."""
    ui = ui_context()
    found: dict[str, tuple[Choice, ...]] = {}
    for field in kind.fields:
        if field.kind == "ref" and field.ref:
            ref = field.ref
            options = await ui.public_cache.get(("choices", ref),
                                                lambda: ui.db(ui.store.choices, ref))
            if not actor.is_admin:
                options = tuple(c for c in options if not c.admin_only)
            found[field.name] = options
    return found


def see_other(endpoint: str, **values: Any) -> ResponseReturnValue:
    """303 to a page after a successful POST."""
    return redirect(url_for(endpoint, **values), 303)
