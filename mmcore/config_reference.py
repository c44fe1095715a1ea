"""The configuration reference (``docs/configuration.md``), generated from the section classes.

Each field's documentation is the ``#:`` comment above it in the attrs class, so the reference
cannot drift from the code: a test compares the committed file with what this module renders.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Mapping
from typing import Any

import attrs

from mmcore.toml_writer import toml_value

_FIELD = re.compile(r"^\s+(\w+)\s*:")


def field_comments(cls: type) -> dict[str, str]:
    """``#:`` comment lines directly above each field definition of ``cls``."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    comments: dict[str, str] = {}
    pending: list[str] = []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("#:"):
            pending.append(stripped[2:].strip())
            continue
        match = _FIELD.match(line)
        if match and pending:
            comments[match.group(1)] = " ".join(pending)
        if stripped and not stripped.startswith("#"):
            pending = []
    return comments


def _type_name(annotation: Any) -> str:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    text = str(text or annotation).replace("typing.", "")
    return text.replace("tuple[str, ...]", "list of strings").replace("list[str]", "list of strings")


def _default(field: attrs.Attribute) -> str:
    default = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        default = default.factory()
    if attrs.has(type(default)) or (
        isinstance(default, (list, tuple)) and default and attrs.has(type(default[0]))
    ):
        return "see below" if attrs.has(type(default)) else "`[]`"
    if isinstance(default, Mapping):
        return "`{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in default.items()) + "}`"
    try:
        return f"`{toml_value(default)}`"
    except TypeError:
        return f"`{default!r}`"


def _nested_class(cls: type, field: attrs.Attribute) -> type | None:
    hints = typing.get_type_hints(cls)
    hint = hints.get(field.name)
    for candidate in (hint, *typing.get_args(hint)):
        if isinstance(candidate, type) and attrs.has(candidate):
            return candidate
    return None


def _section(lines: list[str], title: str, cls: type, array: bool = False) -> None:
    header = f"[[{title}]]" if array else f"[{title}]"
    doc = inspect.getdoc(cls) or ""
    lines += ["", f"## `{header}`", ""]
    if doc:
        lines += [doc, ""]
    lines += ["| key | default | meaning |", "|---|---|---|"]
    comments = field_comments(cls)
    nested = []
    hints = typing.get_type_hints(cls)
    for field in attrs.fields(cls):
        sub = _nested_class(cls, field)
        if sub is not None:
            is_array = typing.get_origin(hints.get(field.name)) in (tuple, list)
            nested.append((f"{title}.{field.name}", sub, is_array))
            continue
        meaning = comments.get(field.name, "").replace("|", "\\|")
        lines.append(f"| `{field.name}` | {_default(field)} | {meaning} |")
    for sub_title, sub, is_array in nested:
        _section(lines, sub_title, sub, is_array)


def render_reference(sections: Mapping[str, type]) -> str:
    lines = [
        "# Configuration reference",
        "",
        "One TOML file: `--config FILE`, else `$MIRRORMANAGER_CONFIG`, else `./mirrormanager.toml`.",
        "Every key has a default; a file needs only what differs. An unknown key, a wrong type or",
        "a missing required value stops the command with exit status 2 and a message naming the",
        "file, the key path and what was expected. `mirrormanager config show` prints the",
        "effective configuration.",
        "",
        "This page is generated from the code (`mirrormanager config reference`); each plugin",
        "contributes its own tables.",
    ]
    for name, cls in sections.items():
        _section(lines, name, cls)
    return "\n".join(lines) + "\n"
