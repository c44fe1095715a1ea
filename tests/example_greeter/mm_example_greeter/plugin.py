"""Implements ``mm_example_greetings``, a hook specified by another plugin, not by the core."""

from __future__ import annotations

from mmcore import hookimpl


@hookimpl
def mm_example_greetings(name: str) -> list[str]:
    return [f"greetings from the greeter, {name}"]
