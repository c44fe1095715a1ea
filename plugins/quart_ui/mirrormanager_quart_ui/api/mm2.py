"""MirrorManager2's JSON API, same paths and shapes (Fedora's tooling reads them):
``/api/mirroradmins`` and ``/api/repositories``, public, with and without the trailing slash."""

from __future__ import annotations

from quart import Response, jsonify, request

from mirrormanager_quart_ui.api.blueprint import registry
from mirrormanager_quart_ui.api.registry import Param
from mirrormanager_quart_ui.api.responses import conditional
from mirrormanager_quart_ui.context import ui_context

_ADMINS = {"type": "object", "required": ["total", "admins"], "properties": {
    "total": {"type": "integer"}, "admins": {"type": "array", "items": {"type": "string"}}}}
_REPOSITORIES = {"type": "object", "required": ["total", "repositories"], "properties": {
    "total": {"type": "integer"},
    "repositories": {"type": "array", "items": {
        "type": "object", "description": "one key: the repository's prefix",
        "additionalProperties": {"type": "object", "properties": {
            "name": {"type": "string"}, "directory": {"type": ["string", "null"]}}}}}}}
_NAME = Param("name", {"type": "string", "maxLength": 255},
              "a host name or a site name: only that site's creator and admins")


async def mirror_admins() -> Response:
    ui = ui_context()
    name = request.args.get("name") or None
    if name is not None and len(name) > 255:
        name = name[:255]
    admins = await ui.db(ui.store.mirror_admins, name)
    if admins is None:
        response = jsonify({"message": f"No host or site found for {name}"})
        response.status_code = 400
        return response
    return conditional({"total": len(admins), "admins": list(admins)})


async def repositories() -> Response:
    ui = ui_context()
    found = await ui.db(ui.store.repository_directories)
    return conditional({"total": len(found), "repositories": [
        {repo.prefix: {"name": repo.name, "directory": repo.directory}} for repo in found]})


_MM2 = "MirrorManager2 compatible"
for _rule, _endpoint in (("/mirroradmins", "mirror_admins"),
                         ("/mirroradmins/", "mirror_admins_slash")):
    registry.route(
        "GET", _rule, endpoint=_endpoint, tag=_MM2, summary="User names of mirror admins",
        description="Every site admin's user name; with `name`, the creator and admins of "
                    "the site of the host of that name, else of the site of that name. An "
                    "unknown name is answered 400 `{\"message\": \"No host or site found for "
                    "NAME\"}` (MirrorManager2's shape).",
        query=(_NAME,), response=_ADMINS, conditional=True)(mirror_admins)
for _rule, _endpoint in (("/repositories", "repositories"),
                         ("/repositories/", "repositories_slash")):
    registry.route(
        "GET", _rule, endpoint=_endpoint, tag=_MM2,
        summary="Every repository by prefix, with its directory",
        response=_REPOSITORIES, conditional=True)(repositories)
