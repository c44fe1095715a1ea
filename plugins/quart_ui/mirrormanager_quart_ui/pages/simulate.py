"""Admins: "what would a client at address X get for repository R / arch A?"

Asks the list server's plugin through the ``mm_explain_answer`` hook (the same ``explain=1``
document ``/mirrorlist`` gives) and shows it: where the client's country and AS come from, each
tier with the mirrors it took and dropped and why, the final order and the plain answer.  Admins
only: the explanation names private mirrors and netblocks.  A GET form: it changes nothing.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Any

import trio
from quart import Blueprint, request
from quart.typing import ResponseReturnValue

from mmcore.manage.rules import require_admin

from mirrormanager_quart_ui.context import current_actor, ui_context
from mirrormanager_quart_ui.pages.sites import login_redirect
from mirrormanager_quart_ui.rendering import render_page

simulate = Blueprint("simulate", __name__, url_prefix="/admin/simulate")

#: repo, arch, country and protocol values: what the list server's own keys look like
_TOKEN = re.compile(r"[A-Za-z0-9._+\-,]{1,100}\Z")
#: a directory path: no query syntax, bounded
_PATH = re.compile(r"[A-Za-z0-9._+\-/]{1,1000}\Z")
_EXCLUDE = re.compile(r"[A-Za-z0-9.\-,]{1,2048}\Z")
FIELDS = ("address", "repo", "arch", "path", "country", "protocol", "exclude")


def _form() -> dict[str, str]:
    return {name: (request.args.get(name) or "").strip()[:2048] for name in FIELDS}


def _query(form: dict[str, str]) -> tuple[str | None, dict[str, str]]:
    """The list-server query of the form, or (None, problems by field)."""
    problems: dict[str, str] = {}
    try:
        ipaddress.ip_address(form["address"])
    except ValueError:
        problems["address"] = "an IPv4 or IPv6 address"
    parts = []
    if form["path"]:
        if not _PATH.match(form["path"]):
            problems["path"] = "a directory path (letters, digits, . _ + - /)"
        parts.append(f"path={form['path']}")
    elif form["repo"] and form["arch"]:
        for name in ("repo", "arch"):
            if not _TOKEN.match(form[name]):
                problems[name] = "letters, digits and . _ + -"
        parts += [f"repo={form['repo']}", f"arch={form['arch']}"]
    else:
        problems["repo"] = "give a repository and an architecture, or a path"
    for name in ("country", "protocol"):
        if form[name]:
            if not _TOKEN.match(form[name]):
                problems[name] = "letters, digits and commas"
            parts.append(f"{name}={form[name]}")
    if form["exclude"]:
        if not _EXCLUDE.match(form["exclude"]):
            problems["exclude"] = "host names separated by commas"
        parts.append(f"exclude={form['exclude']}")
    return (None if problems else "&".join(parts)), problems


@simulate.get("/")
async def page() -> ResponseReturnValue:
    if (gone := login_redirect()) is not None:
        return gone
    require_admin(current_actor())
    form = _form()
    endpoint = "/metalink" if request.args.get("endpoint") == "metalink" else "/mirrorlist"
    doc: dict[str, Any] | None = None
    problems: dict[str, str] = {}
    unavailable = False
    if form["address"] or form["repo"] or form["path"]:
        query, problems = _query(form)
        if query is not None:
            ui = ui_context()
            explain = functools.partial(ui.plugin_manager.hook.mm_explain_answer,
                                        runtime=ui.runtime, path=endpoint, query=query,
                                        address=form["address"])
            # the first call loads the cache (a second or so at Fedora scale): in a thread
            doc = await trio.to_thread.run_sync(explain)
            unavailable = doc is None
    status = 400 if problems else 200
    return await render_page("simulate.html", form=form, endpoint=endpoint, doc=doc,
                             problems=problems, unavailable=unavailable), status
