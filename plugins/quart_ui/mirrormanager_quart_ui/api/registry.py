"""Every API route is declared once, through :meth:`ApiRegistry.route`: the Quart route and its
OpenAPI operation come from the same declaration, so the document cannot miss a route (a test
checks that too)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs
from quart import Blueprint

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_SCHEMA_OF_CONVERTER = {"int": {"type": "integer", "minimum": 1}, "path": {"type": "string"},
                        None: {"type": "string"}, "string": {"type": "string"}}


@attrs.frozen
class Param:
    """A query parameter."""

    name: str
    schema: dict[str, Any]
    description: str = ""
    required: bool = False


@attrs.frozen
class Operation:
    method: str
    #: the OpenAPI path (``/api/v1/sites/{site_id}``)
    path: str
    #: the Quart rule (``/v1/sites/<int:site_id>``) under the blueprint's prefix
    rule: str
    operation_id: str
    summary: str
    tag: str
    description: str = ""
    path_params: tuple[tuple[str, dict[str, Any]], ...] = ()
    query: tuple[Param, ...] = ()
    #: the request body's schema (a JSON schema or a ``$ref``)
    body: dict[str, Any] | None = None
    #: the success response: status, schema (``None``: no body), media type
    status: int = 200
    response: dict[str, Any] | None = None
    media_type: str = "application/json"
    #: a read answering ETag / If-None-Match (304)
    conditional: bool = False
    #: who may call it (shown in the description and the security requirement)
    access: str = "anyone"


class ApiRegistry:
    """The routes of one blueprint, with what the OpenAPI document says about them."""

    def __init__(self, blueprint: Blueprint, prefix: str) -> None:
        self.blueprint = blueprint
        self.prefix = prefix.rstrip("/")
        self.operations: list[Operation] = []

    def route(self, method: str, rule: str, *, summary: str, tag: str, endpoint: str | None = None,
              **details: Any) -> Callable[[Callable], Callable]:
        """Register ``rule`` for ``method`` on the blueprint and describe it."""

        def register(view: Callable) -> Callable:
            name = endpoint or view.__name__
            self.blueprint.add_url_rule(rule, endpoint=name, view_func=view, methods=[method])
            path_params = tuple((param, _SCHEMA_OF_CONVERTER.get(converter,
                                                                 {"type": "string"}))
                                for converter, param in _CONVERTER.findall(rule))
            path = self.prefix + _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule)
            self.operations.append(Operation(
                method=method.upper(), path=path, rule=rule, operation_id=name,
                summary=summary, tag=tag, path_params=path_params, **details))
            return view

        return register
