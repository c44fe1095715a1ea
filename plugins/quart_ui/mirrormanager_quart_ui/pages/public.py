"""Public pages: index, mirror list, a mirror's page, propagation, statistics, map, health."""

from __future__ import annotations

import datetime

from quart import Blueprint, Response, abort, jsonify

from mmcore.manage.public import MirrorFilter
from mmcore.manage.fields import country as parse_country
from mmcore.manage.errors import InvalidInput
from mmcore.store import StoreError

from mirrormanager_quart_ui import charts
from mirrormanager_quart_ui.rendering import render_page
from mirrormanager_quart_ui.context import ui_context
from mirrormanager_quart_ui.pages.common import paging, query_text

public = Blueprint("public", __name__)

STAT_CATEGORIES = ("countries", "archs", "repositories")


@public.get("/")
async def index() -> str:
    ui = ui_context()
    products = await ui.public_cache.get("products", lambda: ui.db(ui.store.public_products))
    return await render_page("index.html", products=products)


@public.get("/mirrors")
@public.get("/mirrors/<product>")
@public.get("/mirrors/<product>/<version>")
@public.get("/mirrors/<product>/<version>/<arch>")
async def mirrors(product: str | None = None, version: str | None = None,
                  arch: str | None = None) -> Response | str:
    ui = ui_context()
    country = query_text("country")
    if country:
        try:
            country = parse_country(country, "country")
        except InvalidInput as error:
            return await _bad_filter(error.message)
    if any(value and len(value) > 200 for value in (product, version, arch)):
        abort(404)
    page, page_size = paging()
    mirror_filter = MirrorFilter(product, version, arch, country)
    key = ("mirrors", mirror_filter, page, page_size)

    async def render() -> str:
        listed = await ui.db(ui.store.public_mirrors, mirror_filter, page, page_size)
        return await render_page("mirrors.html", listed=listed, filter=mirror_filter,
                                     page_size=page_size)

    return await ui.public_cache.get(key, render)


async def _bad_filter(message: str) -> Response:
    from mirrormanager_quart_ui.app import problem

    return await problem(message, 400)


@public.get("/mirror/<int:host_id>")
async def mirror(host_id: int) -> str:
    ui = ui_context()
    host = await ui.db(ui.store.public_host, host_id)
    if host is None:
        abort(404, "No public mirror with this number.")
    return await render_page("mirror.html", host=host)


@public.get("/propagation")
async def propagation_list() -> str:
    ui = ui_context()
    repos = await ui.db(ui.store.propagated_repositories)
    return await render_page("propagation_list.html", repos=repos)


@public.get("/propagation/<int:repository_id>")
async def propagation(repository_id: int) -> str:
    ui = ui_context()
    repos = {r.repository_id: r for r in await ui.db(ui.store.propagated_repositories)}
    repo = repos.get(repository_id)
    if repo is None:
        abort(404, "No propagation statistics for this repository.")
    points = await ui.db(ui.store.propagation_series, repository_id)
    chart = charts.propagation_chart(points, f"Propagation of {repo.prefix}")
    return await render_page("propagation.html", repo=repo, points=points[-60:],
                                 chart=chart)


@public.get("/statistics")
@public.get("/statistics/<day>")
@public.get("/statistics/<day>/<category>")
async def statistics(day: str | None = None, category: str = "countries") -> str:
    ui = ui_context()
    if category not in STAT_CATEGORIES:
        abort(404, f"Statistics are kept for {', '.join(STAT_CATEGORIES)}.")
    dates = await ui.db(ui.store.access_stat_dates)
    if day is None:
        chosen = dates[0] if dates else datetime.date.today()
    else:
        try:
            chosen = datetime.date.fromisoformat(day)
        except ValueError:
            abort(404, "Give the day as YYYY-MM-DD.")
    counts = await ui.db(ui.store.access_stats, chosen, category)
    older = [d for d in dates if d < chosen]
    newer = [d for d in dates if d > chosen]
    chart = charts.bar_chart(counts, f"Requests by {category} on {chosen}")
    return await render_page(
        "statistics.html", day=chosen, category=category, categories=STAT_CATEGORIES,
        counts=counts, chart=chart, previous=older[0] if older else None,
        next=newer[-1] if newer else None, has_any=bool(dates))


@public.get("/map")
async def world_map() -> str:
    ui = ui_context()

    async def render() -> str:
        locations = await ui.db(ui.store.mirror_locations)
        from mirrormanager_quart_ui.worldmap import land_outline

        chart = charts.world_map(locations, land_outline())
        return await render_page("map.html", chart=chart, locations=locations)

    return await ui.public_cache.get("map", render)


#: longest category list, and longest strip prefix, accepted by /rsyncFilter
RSYNC_FILTER_MAX_CATEGORIES = 50
RSYNC_FILTER_MAX_PREFIX = 1024


@public.get("/rsyncFilter")
async def rsync_filter_rules() -> Response:
    """MirrorManager2's ``/rsyncFilter?categories=A,B&since=EPOCH&stripprefix=PATH``: rsync
    filter rules for the directories changed since ``since``; with missing or bad arguments
    only ``- *`` and a comment saying why (a downstream mirror's rsync then fetches nothing)."""
    from mmcore.ops.rsync_filter import EXCLUDE_REST, rsync_filter
    from mmcore.ops.store import OpsRefused

    ui = ui_context()
    categories = [c.strip() for c in (query_text("categories") or "").split(",") if c.strip()]
    since_text = query_text("since") or ""
    prefix = query_text("stripprefix") or ""
    problem = None
    if not categories:
        problem = "categories= is required (comma-separated category names)"
    elif len(categories) > RSYNC_FILTER_MAX_CATEGORIES or len(prefix) > RSYNC_FILTER_MAX_PREFIX:
        problem = "too many categories or too long a stripprefix"
    elif not since_text.isdigit():
        problem = "since= must be a time in seconds since the epoch"
    if problem is None:
        try:
            rules = await ui.db(rsync_filter, ui.store, categories, int(since_text), prefix)
        except OpsRefused as exc:
            problem = str(exc)
    if problem is not None:
        rules = [f"# {problem.replace(chr(10), ' ')}", EXCLUDE_REST]
    return Response("".join(f"{rule}\n" for rule in rules), status=200 if problem is None else 400,
                    content_type="text/plain; charset=utf-8")


health = Blueprint("health", __name__)


@health.get("/healthz/live")
async def live() -> Response:
    return jsonify({"status": "ok"})


@health.get("/healthz/ready")
async def ready() -> tuple[Response, int] | Response:
    """Ready: the database answers and its schema is at the newest revision."""
    ui = ui_context()
    try:
        await ui.db(ui.store.check_schema)
    except StoreError as exc:
        return jsonify({"status": "unavailable", "reason": str(exc)}), 503
    return jsonify({"status": "ok"})


__all__ = ["public", "health"]
