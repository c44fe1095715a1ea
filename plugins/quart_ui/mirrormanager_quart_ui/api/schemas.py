"""Rows as JSON, and the JSON schemas of rows and of write bodies: both derived from the
management catalog (:mod:`mmcore.manage.catalog`) and the model classes, so the document says
what the API does."""

from __future__ import annotations

from typing import Any

import attrs

from mmcore.manage.catalog import Field, Kind, kind
from mmcore.manage.errors import InvalidInput

#: columns never shown (hashes and keys)
SECRET_COLUMNS = frozenset({"password", "push_ssh_private_key"})

_FIELD_SCHEMAS: dict[str, dict[str, Any]] = {
    "text": {"type": "string"}, "longtext": {"type": "string"},
    "bool": {"type": "boolean"}, "int": {"type": "integer"},
    "country": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
    "continent": {"type": "string"}, "netblock": {"type": "string"},
    "url": {"type": "string", "format": "uri"}, "hostname": {"type": "string"},
    "email": {"type": "string", "format": "email"}, "username": {"type": "string"},
    "password": {"type": "string", "writeOnly": True}, "ref": {"type": "integer"},
    "directory": {"type": "string", "description": "a directory path of the master tree"},
    "country_ref": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
}


def row_dict(row: Any) -> dict[str, Any]:
    """A model row as JSON (secrets left out)."""
    return {name: value for name, value in attrs.asdict(row, recurse=False).items()
            if name not in SECRET_COLUMNS}


def _annotation_schema(annotation: Any) -> dict[str, Any]:
    text = str(annotation)
    types: list[str] = []
    for name, json_type in (("datetime", "string"), ("bool", "boolean"), ("float", "number"),
                            ("int", "integer"), ("str", "string")):
        if name in text and json_type not in types:
            types.append(json_type)
            text = text.replace(name, "")
    if "None" in text:
        types.append("null")
    schema: dict[str, Any] = {"type": types[0] if len(types) == 1 else types or "string"}
    if "datetime" in str(annotation):
        schema["format"] = "date-time"
    return schema


def row_schema(table: str) -> dict[str, Any]:
    """The JSON schema of a row of ``table`` as :func:`row_dict` shows it."""
    model = kind(table).model
    return {"type": "object", "properties": {
        f.name: _annotation_schema(f.type) for f in attrs.fields(model)
        if f.name not in SECRET_COLUMNS}}


def _field_schema(field: Field) -> dict[str, Any]:
    schema = dict(_FIELD_SCHEMAS[field.kind])
    if field.kind in ("text", "longtext", "url", "username") and field.max_length:
        schema["maxLength"] = field.max_length
    if field.minimum is not None:
        schema["minimum"] = field.minimum
    if field.maximum is not None:
        schema["maximum"] = field.maximum
    notes = [field.title]
    if field.help:
        notes.append(field.help)
    if field.admin_only:
        notes.append("MirrorManager admins only: ignored (kept) for others")
    if field.ref:
        notes.append(f"the id of a {kind(field.ref).label}")
    schema["description"] = "; ".join(notes)
    if field.default is not None and field.kind != "password":
        schema["default"] = field.default
    return schema


def input_schema(the_kind: Kind, *, update: bool = False) -> dict[str, Any]:
    """The body of a create (required fields required) or of a partial update."""
    schema: dict[str, Any] = {
        "type": "object", "additionalProperties": False,
        "properties": {f.name: _field_schema(f) for f in the_kind.fields},
    }
    required = [f.name for f in the_kind.fields if f.required]
    if required and not update:
        schema["required"] = required
    return schema


def create_form(the_kind: Kind, body: dict[str, Any]) -> dict[str, Any]:
    """A create's values: the body over the defaults of its yes/no fields (an HTML form sends
    no value for an unchecked box; JSON leaves out what keeps its default)."""
    unknown(the_kind, body)
    defaults = {f.name: f.default for f in the_kind.fields if f.kind == "bool"}
    return {**defaults, **body}


def unknown(the_kind: Kind, body: dict[str, Any]) -> None:
    names = {f.name for f in the_kind.fields}
    for key in body:
        if key not in names:
            raise InvalidInput(f"{key}: a {the_kind.label} has no such field", field=key)
