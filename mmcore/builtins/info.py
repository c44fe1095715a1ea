"""``mirrormanager plugins``, ``config show`` and ``config reference``: what is installed and
how it is configured."""

from __future__ import annotations

import argparse
from pathlib import Path

import attrs

from mmcore.config import DatabaseConfig, PathsConfig
from mmcore.config_reference import render_reference
from mmcore.plugins import describe_plugins
from mmcore.runtime import Runtime
from mmcore.toml_writer import dumps


def run_plugins(runtime: Runtime, args: argparse.Namespace) -> int:
    for info in describe_plugins(runtime.plugin_manager):
        dist = f"{info.distribution} {info.version}" if info.distribution else "(registered in process)"
        print(f"{info.name}: {dist}", file=runtime.out)
        for hook in info.hooks:
            print(f"    {hook}", file=runtime.out)
    broken = runtime.plugin_manager.broken
    for plugin in broken:
        print(f"{plugin.name}: {plugin.distribution} BROKEN: {plugin.error}", file=runtime.out)
    return 1 if broken else 0


def run_config_show(runtime: Runtime, args: argparse.Namespace) -> int:
    """The effective configuration, defaults filled in, as TOML a file can start from."""
    config = runtime.config
    document = {
        "database": attrs.asdict(config.database),
        "paths": attrs.asdict(config.paths),
        **{name: _plain(section) for name, section in sorted(config.sections.items())},
    }
    source = config.source or "no file: defaults"
    runtime.out.write(dumps(document, comment=f"effective configuration ({source})"))
    return 0


def run_config_reference(runtime: Runtime, args: argparse.Namespace) -> int:
    """Markdown reference of every configuration key of the installed plugins."""
    sections: dict[str, type] = {"database": DatabaseConfig, "paths": PathsConfig}
    sections.update({name: type(value) for name, value in sorted(runtime.config.sections.items())})
    runtime.out.write(render_reference(sections))
    return 0


def _plain(section: object) -> object:
    return attrs.asdict(
        section, value_serializer=lambda _i, _f, v: str(v) if isinstance(v, Path) else v
    )
