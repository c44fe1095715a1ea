"""A small TOML writer for the shapes MirrorManager writes (config dumps, deployment exports):
tables, arrays of tables, strings, numbers, booleans, arrays of scalars.  ``None`` is omitted."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # a JSON string is a TOML basic string, except that TOML also wants DEL escaped
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(_is_table(v) for v in value)


def emit_table(
    lines: list[str], header: str, pairs: Iterable[tuple[str, Any]], *, array: bool
) -> None:
    """Append ``[header]`` (or ``[[header]]``), its scalar keys, then its sub-tables."""
    pairs = [(k, v) for k, v in pairs if v is not None]
    lines.append("")
    lines.append(f"[[{header}]]" if array else f"[{header}]")
    for key, value in pairs:
        if not (_is_table(value) or _is_table_array(value)):
            lines.append(f"{key} = {toml_value(value)}")
    for key, value in pairs:
        if _is_table(value):
            emit_table(lines, f"{header}.{key}", value.items(), array=False)
        elif _is_table_array(value):
            for item in value:
                emit_table(lines, f"{header}.{key}", item.items(), array=True)


def dumps(document: Mapping[str, Any], comment: str | None = None) -> str:
    """``document`` (a mapping of top-level tables or arrays of tables) as TOML text."""
    lines = [f"# {comment}"] if comment else []
    for name, value in document.items():
        if _is_table_array(value):
            for item in value:
                emit_table(lines, name, item.items(), array=True)
        elif _is_table(value):
            emit_table(lines, name, value.items(), array=False)
        elif isinstance(value, (list, tuple)) and not value:
            continue
        else:
            raise TypeError(f"top-level {name!r} must be a table or an array of tables")
    return "\n".join(lines).lstrip("\n") + "\n"
