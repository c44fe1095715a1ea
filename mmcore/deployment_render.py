"""Writing a deployment as TOML (``mirrormanager export``) that ``import`` reads back unchanged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from mmcore.deployment import Deployment
from mmcore.passwords import is_password_hash
from mmcore.toml_writer import dumps


def _fields(
    obj: Any, skip: tuple[str, ...] = (), rename: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Every field, defaults included, so an export says exactly what the database holds."""
    rename = rename or {}
    return {
        rename.get(field.name, field.name): getattr(obj, field.name)
        for field in attrs.fields(type(obj))
        if field.name not in skip
    }


def render_deployment(deployment: Deployment) -> str:
    """The deployment as TOML that :func:`mmcore.deployment_parse.parse_deployment` reads back
    unchanged."""
    document = {
        "arch": [_fields(a, rename={"primary_arch": "primary"}) for a in deployment.arches],
        "product": [_fields(p) for p in deployment.products],
        "category": [_fields(c) for c in deployment.categories],
        "repository_redirect": [
            _fields(r, rename={"from_repo": "from", "to_repo": "to"})
            for r in deployment.repository_redirects
        ],
        "country_continent_redirect": [_fields(r) for r in deployment.country_continent_redirects],
        "site": [
            {
                **_fields(site, skip=("hosts",)),
                "password_hash": _exportable_hash(site.password_hash),
                "host": [
                    {
                        **_fields(host, skip=("categories",)),
                        "category": [_fields(hc) for hc in host.categories],
                    }
                    for host in site.hosts
                ],
            }
            for site in deployment.sites
        ],
    }
    return dumps(document, comment="MirrorManager deployment, written by 'mirrormanager export'")


def _exportable_hash(stored: str | None) -> str | None:
    """The stored site password when it is a salted hash.  MirrorManager2 keeps site passwords in
    clear text: such a value is left out of the export (a secret does not belong in a file), and
    an import without a password keeps the stored one, so the round trip still changes nothing."""
    return stored if stored is not None and is_password_hash(stored) else None
