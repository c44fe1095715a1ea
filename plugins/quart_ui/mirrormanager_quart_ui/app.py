"""The Quart application: a read-only overview of the deployment, its JSON form, and a health
check.  Database calls run in worker threads (:func:`mmcore.db.run_db`)."""

from __future__ import annotations

from collections.abc import Callable

import attrs
from quart import jsonify, render_template
from quart_trio import QuartTrio

from mmcore.checkin.config import CheckinConfig
from mmcore.db import run_db
from mmcore.deployment import Deployment
from mmcore.store import Store, StoreError

from mirrormanager_quart_ui.checkin import checkin_blueprint
from mirrormanager_quart_ui.config import UiConfig


def public_deployment(deployment: Deployment) -> dict:
    """The deployment as JSON-ready data, without the sites' password hashes."""
    data = attrs.asdict(deployment)
    for site in data["sites"]:
        site.pop("password_hash", None)
    return data


def create_app(
    store: Store,
    settings: UiConfig,
    *,
    checkin: CheckinConfig | None = None,
    announce: Callable[[object], None] | None = None,
) -> QuartTrio:
    app = QuartTrio(__name__)
    app.register_blueprint(checkin_blueprint(store, checkin or CheckinConfig(), announce=announce))

    @app.get("/")
    async def overview():
        deployment = await run_db(store, store.load_deployment)
        hosts = sum(len(site.hosts) for site in deployment.sites)
        return await render_template(
            "overview.html", title=settings.title, deployment=deployment, host_count=hosts
        )

    @app.get("/api/deployment")
    async def api_deployment():
        deployment = await run_db(store, store.load_deployment)
        return jsonify(public_deployment(deployment))

    @app.get("/healthz")
    async def healthz():
        try:
            await run_db(store, store.check_schema)
        except StoreError as exc:
            return jsonify({"status": "unavailable", "reason": str(exc)}), 503
        return jsonify({"status": "ok"})

    @app.errorhandler(StoreError)
    async def database_unavailable(error: StoreError):
        return jsonify({"status": "unavailable", "reason": str(error)}), 503

    return app
