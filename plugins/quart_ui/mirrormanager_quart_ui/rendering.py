"""Rendering pages: Jinja in its synchronous mode, and the blank add forms rendered once.

Quart's ``render_template`` runs Jinja's async mode, which awaits every expression; the host
page calls hundreds of macros, and that mode costs it twice the time.  The templates call
nothing asynchronous, so they are rendered by a synchronous overlay of the app's environment
(same loader, globals and filters), after Quart's context processors (``request``, ``session``,
``g``) have filled the context.

The empty "add" forms of a page (the fields of a kind with their defaults) depend only on the
kind, the id prefix, the select options and whether the reader is an admin (admin-only fields
are shown locked to others); :func:`blank_fields` renders each such combination once and keeps
it, keyed by all of these, so a page with many sections does not re-run the field macros on
every request.  The CSRF token is never part of a kept fragment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment
from markupsafe import Markup
from quart import current_app

from mmcore.manage.catalog import Kind
from mmcore.manage.store import Choice

from mirrormanager_quart_ui.context import current_actor
from mirrormanager_quart_ui.security import one_csrf_token

_KEY = "mirrormanager_sync_jinja"
_FRAGMENTS = "mirrormanager_blank_fields"
#: most blank forms kept (each a few hundred bytes); past it the store starts over
MAX_FRAGMENTS = 4096


def _environment() -> Environment:
    app = current_app
    env: Environment | None = app.extensions.get(_KEY)
    if env is None:
        env = app.jinja_env.overlay(enable_async=False)
        app.extensions[_KEY] = env
    return env


async def render_page(name: str, **context: Any) -> str:
    """Render template ``name`` with ``context`` (and Quart's template context)."""
    await current_app.update_template_context(context)
    template = _environment().get_template(name)
    with one_csrf_token():
        return template.render(context)


def blank_fields(kind: Kind, prefix: str = "",
                 choices: Mapping[str, tuple[Choice, ...]] | None = None) -> Markup:
    """The ``fields`` macro's output for an empty form of ``kind`` (rendered once per kind,
    prefix, options and admin-or-not)."""
    options = choices or {}
    key = (kind, prefix, current_actor().is_admin, tuple(sorted(options.items())))
    kept: dict[Any, Markup] = current_app.extensions.setdefault(_FRAGMENTS, {})
    found = kept.get(key)
    if found is None:
        macros = _environment().get_template("macros.html").module
        found = Markup(macros.fields(kind, prefix=prefix, choices=options))  # type: ignore[attr-defined]
        if len(kept) >= MAX_FRAGMENTS:
            kept.clear()
        kept[key] = found
    return found
