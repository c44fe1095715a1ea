"""The OpenAPI 3.1 document (``/api/openapi.json``), built from the route registry and the
management catalog, and the browsable docs page (``/api/docs``: Swagger UI from the
``swagger-ui-bundle-v2`` package, served from this app -- no CDN)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, abort, url_for

from mmcore.manage.catalog import KINDS

from mirrormanager_quart_ui.api.blueprint import registry
from mirrormanager_quart_ui.api.errors import ERROR_CODES
from mirrormanager_quart_ui.api.registry import Operation
from mirrormanager_quart_ui.api.responses import conditional
from mirrormanager_quart_ui.api.schemas import input_schema, row_schema
from mirrormanager_quart_ui.context import ui_context

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"

_S = {"type": "string"}
_SN = {"type": ["string", "null"]}
_I = {"type": "integer"}
_ARRAY = {"type": "array", "items": {"type": "object"}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _shapes() -> dict[str, dict[str, Any]]:
    crawl = {"type": "object", "properties": {
        "id": _I, "finished_at": {"type": "string", "format": "date-time"}, "duration": _I,
        "status": {"type": "string", "enum": ["ok", "failed", "timeout"]},
        "crawl_failures": _I, "reason": _SN, "protocols": _S}}
    category = {"type": "object", "properties": {
        "id": _I, "category_id": _I, "category": _S, "always_up2date": {"type": "boolean"},
        "directories": {**_I, "description": "directories of the category on the host"},
        "up2date": {**_I, "description": "of which up to date"},
        "urls": {"type": "array", "items": _ref("host_category_url")}}}
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message", "field"], "properties": {
                "code": {"type": "string", "enum": list(ERROR_CODES)},
                "message": _S,
                "field": {**_SN, "description": "the request field at fault, if one is"}}}}},
        "Me": {"type": "object", "properties": {
            "username": _SN, "is_admin": {"type": "boolean"},
            "groups": {"type": "array", "items": _S},
            "auth": {"type": "string", "enum": ["anonymous", "session", "token"]},
            "scope": {"type": ["string", "null"], "enum": ["read", "write", "admin", None]},
            "csrf_token": {**_SN, "description": "send it in X-CSRF-Token with session writes"}}},
        "SiteDetail": {"allOf": [_ref("site"), {"type": "object", "properties": {
            "admins": {"type": "array", "items": _ref("site_admin")},
            "hosts": {"type": "array", "items": {"type": "object", "properties": {
                "id": _I, "name": _S}}}}}]},
        "Crawl": crawl,
        "HostCategoryState": category,
        "HostDetail": {"allOf": [{"$ref": "#/components/schemas/host"}, {
            "type": "object", "properties": {
                "site": {"type": "object", "properties": {"id": _I, "name": _S}},
                "categories": {"type": "array", "items": _ref("HostCategoryState")},
                "netblocks": {"type": "array", "items": _ref("host_netblock")},
                "peer_asns": {"type": "array", "items": _ref("host_peer_asn")},
                "countries_allowed": {"type": "array", "items": _ref("host_country_allowed")},
                "countries": _ARRAY, "acl_ips": {"type": "array", "items": _ref("host_acl_ip")},
                "locations": _ARRAY,
                "last_crawl": {"oneOf": [_ref("Crawl"), {"type": "null"}]}}}]},
        "PropagationRepository": {"type": "object", "properties": {
            "repository_id": _I, "prefix": _S, "product": _SN, "version": _SN, "arch": _SN,
            "last": {"type": "string", "format": "date-time"}}},
        "PropagationSeries": {"type": "object", "properties": {
            "repository_id": _I, "points": {"type": "array", "items": {
                "type": "object", "properties": {
                    "at": {"type": "string", "format": "date-time"}, "same_day": _I,
                    "one_day": _I, "two_day": _I, "older": _I, "no_info": _I}}}}},
    }


def _components(cookie_name: str) -> dict[str, Any]:
    schemas = _shapes()
    for table, the_kind in KINDS.items():
        schemas[table] = row_schema(table)
        schemas[f"{table}_create"] = input_schema(the_kind)
        schemas[f"{table}_update"] = input_schema(the_kind, update=True)
    error = {"content": {"application/json": {"schema": _ref("Error")}}}
    return {
        "schemas": schemas,
        "responses": {
            name: {"description": text, **error} for name, text in (
                ("BadRequest", "malformed request (query, cursor, body)"),
                ("Unauthenticated", "no credentials, or an unknown, revoked or expired token"),
                ("Forbidden", "not allowed (role, token scope, missing CSRF token)"),
                ("NotFound", "no such object, or not where the path says"),
                ("Conflict", "contradicts the stored state (a duplicate, the last admin)"),
                ("Invalid", "a value is refused (the error names its field)"),
                ("Unavailable", "the database is not reachable; nothing was changed"))},
        "securitySchemes": {
            "bearerToken": {"type": "http", "scheme": "bearer",
                            "description": "an API token (`mmt_...`) made on the API tokens "
                                           "page of your account"},
            "sessionCookie": {"type": "apiKey", "in": "cookie", "name": cookie_name,
                              "description": "a logged-in browser session"},
            "csrfHeader": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                           "description": "the session's CSRF token (`GET /api/v1/me`); "
                                          "needed by session writes, not by token writes"},
        },
    }


def _operation(op: Operation) -> dict[str, Any]:
    params = [{"name": name, "in": "path", "required": True, "schema": schema}
              for name, schema in op.path_params]
    params += [{"name": p.name, "in": "query", "required": p.required, "schema": p.schema,
                **({"description": p.description} if p.description else {})} for p in op.query]
    success: dict[str, Any] = {"description": "done" if op.status != 200 else "OK"}
    if op.response is not None:
        success["content"] = {op.media_type: {"schema": op.response}}
    responses: dict[str, Any] = {str(op.status): success}
    if op.conditional:
        responses["304"] = {"description": "not modified (If-None-Match matched the ETag)"}
    for status, name in (("400", "BadRequest"), ("401", "Unauthenticated"),
                         ("403", "Forbidden"), ("404", "NotFound"), ("503", "Unavailable")):
        responses[status] = {"$ref": f"#/components/responses/{name}"}
    if op.body is not None:
        responses["409"] = {"$ref": "#/components/responses/Conflict"}
        responses["422"] = {"$ref": "#/components/responses/Invalid"}
    writes = op.method in ("POST", "PATCH", "PUT", "DELETE")
    session = {"sessionCookie": [], "csrfHeader": []} if writes else {"sessionCookie": []}
    security: list[dict[str, list]] = [{"bearerToken": []}, session]
    if op.access == "anyone":
        security.append({})
    scope = "a `write` or `admin` token" if writes else "any token"
    described = (f"{op.description}\n\n" if op.description else "") + \
        f"Who: {op.access}{'' if op.access == 'anyone' else f' ({scope})'}."
    document: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary,
                                "description": described, "tags": [op.tag],
                                "responses": responses, "security": security}
    if params:
        document["parameters"] = params
    if op.body is not None:
        document["requestBody"] = {"required": True,
                                   "content": {"application/json": {"schema": op.body}}}
    return document


def openapi_document(title: str, cookie_name: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in registry.operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": f"{title} API", "version": API_VERSION,
                 "description": "MirrorManager's JSON API: MirrorManager2's `/api/mirroradmins` "
                                "and `/api/repositories`, and `/api/v1/`. Errors: "
                                "`{\"error\": {\"code\", \"message\", \"field\"}}`. Lists: "
                                "`{\"items\", \"next_cursor\"}`; pass `cursor` for the next "
                                "page. See docs/api.md."},
        "paths": paths,
        "components": _components(cookie_name),
        "tags": [{"name": name} for name in sorted({op.tag for op in registry.operations})],
    }


async def openapi_json() -> Response:
    ui = ui_context()
    return conditional(openapi_document(ui.settings.title, ui.settings.cookie_name))


DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'self'")


async def docs_page() -> Response:
    assets = "api_docs_assets.asset"
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{ui_context().settings.title} API</title>
<link rel="stylesheet" href="{url_for(assets, name='swagger-ui.css')}">
</head>
<body data-spec="{url_for('api.openapi_json')}">
<div id="swagger-ui"></div>
<script src="{url_for(assets, name='swagger-ui-bundle.js')}"></script>
<script src="{url_for('static', filename='api-docs.js')}"></script>
</body>
</html>
"""
    response = Response(page, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


#: the Swagger UI files the docs page loads
DOCS_ASSETS = {"swagger-ui.css": "text/css; charset=utf-8",
               "swagger-ui-bundle.js": "text/javascript; charset=utf-8"}


def docs_assets() -> Blueprint:
    """Swagger UI's files, from the ``swagger-ui-bundle-v2`` package (read with trio: Quart's
    blueprint static files use asyncio file I/O)."""
    import trio
    from swagger_ui_bundle import swagger_ui_path

    assets = Blueprint("api_docs_assets", __name__)

    @assets.get("/static/api-docs/<name>")
    async def asset(name: str) -> Response:
        media_type = DOCS_ASSETS.get(name)
        if media_type is None:
            abort(404)
        data = await trio.Path(str(swagger_ui_path / name)).read_bytes()
        response = Response(data, content_type=media_type)
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    return assets


registry.route("GET", "/openapi.json", tag="documentation",
               summary="This OpenAPI document", response={"type": "object"},
               conditional=True)(openapi_json)
registry.route("GET", "/docs", tag="documentation", summary="Browsable API documentation",
               response={"type": "string"}, media_type="text/html")(docs_page)
