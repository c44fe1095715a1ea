"""Rendering pages: Jinja in its synchronous mode, and the blank add forms rendered once.

Quart's ``render_template`` runs Jinja's async mode, which awaits every expression; the host
page calls hundreds of macros, and that mode costs it twice the time.  The templates call
nothing asynchronous, so they are rendered by a synchronous overlay of the app's environment
(same loader, globals and filters), after Quart's context processors (``request``, ``session``,
``g``) have filled the context.

The fields of a form (the empty "add" forms, and an edit form filled from a stored row) depend
only on the kind, the row (an immutable record), the id prefix, the select options and whether
the reader is an admin (admin-only fields are shown locked to others); :func:`kept_fields`
renders each such combination once and keeps it, keyed by all of these, so a page with many
forms does not re-run the field macros on every request, and a changed row is a new key.  The
CSRF token is never part of a kept fragment; a re-shown submitted form is rendered anew.

Templates build their links with :func:`page_url_for`: Quart's ``url_for`` (tens of
microseconds a call: the host page makes dozens), its answers kept per endpoint, arguments and
the request's root path (a relative link depends on nothing else).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from jinja2 import Environment
from markupsafe import Markup
from quart import current_app, request, url_for

from mmcore.manage.catalog import Kind
from mmcore.manage.store import Choice

from mirrormanager_quart_ui.context import current_actor
from mirrormanager_quart_ui.security import one_csrf_token

_KEY = "mirrormanager_sync_jinja"
_FRAGMENTS = "mirrormanager_kept_fields"
_URLS = "mirrormanager_page_urls"
#: most forms kept (a few hundred bytes to a few kB each); past it the store starts over
MAX_FRAGMENTS = 2048
#: most page links kept, and the longest text argument of a kept link
MAX_URLS = 20000
MAX_KEPT_ARGUMENT = 100


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


def kept_fields(kind: Kind, row: Hashable | None = None, prefix: str = "",
                choices: Mapping[str, tuple[Choice, ...]] | None = None) -> Markup:
    """The ``fields`` macro's output for a form of ``kind``, empty or filled from ``row`` (an
    immutable record), rendered once per kind, row, prefix, options and admin-or-not."""
    options = choices or {}
    key = (kind, row, prefix, current_actor().is_admin, tuple(sorted(options.items())))
    kept: dict[Any, Markup] = current_app.extensions.setdefault(_FRAGMENTS, {})
    found = kept.get(key)
    if found is None:
        macros = _environment().get_template("macros.html").module
        found = Markup(macros.fields(kind, row=row, prefix=prefix, choices=options))  # type: ignore[attr-defined]
        if len(kept) >= MAX_FRAGMENTS:
            kept.clear()
        kept[key] = found
    return found


def _keepable(value: Any) -> bool:
    """A link argument worth keeping: a number or a short text (query strings copied from a
    request, e.g. by the pager, can be long and are built each time)."""
    return (type(value) is int or  # (not bool: True and 1 would share a key)
            (isinstance(value, str) and len(value) <= MAX_KEPT_ARGUMENT))


def page_url_for(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, **values)`` for a link in a page (kept per endpoint, arguments and
    root path); blueprint-relative endpoints and ``_external`` links are not kept."""
    if (endpoint.startswith(".") or any(name.startswith("_") for name in values)
            or not all(_keepable(value) for value in values.values())):
        return url_for(endpoint, **values)
    key = (endpoint, request.root_path, tuple(sorted(values.items())))
    kept: dict[Any, str] = current_app.extensions.setdefault(_URLS, {})
    found = kept.get(key)
    if found is None:
        found = url_for(endpoint, **values)
        if len(kept) >= MAX_URLS:
            kept.clear()
        kept[key] = found
    return found
