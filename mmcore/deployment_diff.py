"""What importing a deployment would change, as readable lines (``import --dry-run``)."""

from __future__ import annotations

from typing import Any

import attrs

from mmcore.deployment import Deployment, HostSpec

# collection field -> (label, key field) for lists of entities matched by natural key
_ENTITY_LISTS: dict[str, tuple[str, str]] = {
    "arches": ("arch", "name"),
    "products": ("product", "name"),
    "categories": ("category", "name"),
    "sites": ("site", "name"),
    "hosts": ("host", "name"),
    # a host's categories are replaced wholesale: a category missing from the file is removed
    "categories_of_host": ("category", "name"),
    "repository_redirects": ("repository redirect", "from_repo"),
    "country_continent_redirects": ("country-continent redirect", "country"),
}

_HIDDEN_VALUES = {"password_hash"}


def _entity_list_spec(owner: Any, field_name: str) -> tuple[str, str] | None:
    if field_name == "categories" and isinstance(owner, HostSpec):
        return _ENTITY_LISTS["categories_of_host"]
    return _ENTITY_LISTS.get(field_name)


def diff_deployments(current: Deployment, incoming: Deployment) -> list[str]:
    """Lines describing how applying ``incoming`` changes ``current``.

    Top-level entities absent from ``incoming`` are left alone (no line); what a named entity
    owns (a site's hosts, a host's netblocks, URLs, categories...) is made exactly what
    ``incoming`` says, so removals show.  ``incoming`` is the import's target
    (:func:`mmcore.deployment_plan.plan_import`), which is also what the store writes.
    """
    lines: list[str] = []
    _diff_lists(lines, "", current, incoming, replace_owned=False)
    return lines


def _diff_lists(lines: list[str], prefix: str, old: Any, new: Any, *, replace_owned: bool) -> None:
    for field in attrs.fields(type(new)):
        spec = _entity_list_spec(new, field.name)
        new_value = getattr(new, field.name)
        old_value = getattr(old, field.name) if old is not None else None
        if spec is not None:
            label, key = spec
            old_items = {getattr(item, key): item for item in (old_value or ())}
            new_items = {getattr(item, key): item for item in new_value}
            for name, item in new_items.items():
                where = f"{prefix}{label} {name!r}"
                if name not in old_items:
                    lines.append(f"+ {where}")
                    # show what a new entity carries below it (hosts, categories)
                    _diff_lists(lines, f"{where} ", None, item, replace_owned=True)
                elif old_items[name] != item:
                    _diff_lists(lines, f"{where} ", old_items[name], item, replace_owned=True)
            if replace_owned and old is not None:
                for name in old_items.keys() - new_items.keys():
                    lines.append(f"- {prefix}{label} {name!r}")
        elif old is None:
            continue
        elif isinstance(new_value, tuple):
            for item in sorted(set(new_value) - set(old_value), key=str):
                lines.append(f"+ {prefix}{field.name} {item}")
            for item in sorted(set(old_value) - set(new_value), key=str):
                lines.append(f"- {prefix}{field.name} {item}")
        elif new_value != old_value:
            if field.name in _HIDDEN_VALUES:
                lines.append(f"~ {prefix}{field.name} changed")
            else:
                lines.append(f"~ {prefix}{field.name}: {old_value!r} -> {new_value!r}")
