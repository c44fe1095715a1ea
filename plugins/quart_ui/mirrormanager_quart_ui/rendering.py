"""Rendering pages: Jinja in its synchronous mode.

Quart's ``render_template`` runs Jinja's async mode, which awaits every expression; the host
page calls hundreds of macros, and that mode costs it twice the time.  The templates call
nothing asynchronous, so they are rendered by a synchronous overlay of the app's environment
(same loader, globals and filters), after Quart's context processors (``request``, ``session``,
``g``) have filled the context.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from quart import current_app

_KEY = "mirrormanager_sync_jinja"


async def render_page(name: str, **context: Any) -> str:
    """Render template ``name`` with ``context`` (and Quart's template context)."""
    app = current_app
    await app.update_template_context(context)
    env: Environment | None = app.extensions.get(_KEY)
    if env is None:
        env = app.jinja_env.overlay(enable_async=False)
        app.extensions[_KEY] = env
    return env.get_template(name).render(context)
