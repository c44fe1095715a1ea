"""The core's own commands, registered through ``mm_cli_commands`` like any plugin's:
``plugins``, ``import`` and ``export`` (and ``dataset``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import attrs

from mmcore import hookimpl
from mmcore.atomic import write_atomically
from mmcore.commands import CliCommand, CommandContext, CommandError
from mmcore.config import DatabaseConfig, PathsConfig
from mmcore.config_reference import render_reference
from mmcore.deployment_diff import diff_deployments
from mmcore.deployment_file import (
    DEFAULT_URL_SCHEMES,
    DeploymentFileError,
    parse_deployment,
    render_deployment,
    resolve_passwords,
)
from mmcore.plugins import describe_plugins
from mmcore.toml_writer import dumps


def run_plugins(ctx: CommandContext, args: argparse.Namespace) -> int:
    for info in describe_plugins(ctx.plugin_manager):
        dist = f"{info.distribution} {info.version}" if info.distribution else "(registered in process)"
        print(f"{info.name}: {dist}", file=ctx.out)
        for hook in info.hooks:
            print(f"    {hook}", file=ctx.out)
    broken = ctx.plugin_manager.broken
    for plugin in broken:
        print(f"{plugin.name}: {plugin.distribution} BROKEN: {plugin.error}", file=ctx.out)
    return 1 if broken else 0


def _url_schemes(ctx: CommandContext) -> frozenset[str]:
    schemes = set(DEFAULT_URL_SCHEMES)
    for protocols in ctx.plugin_manager.hook.mm_crawl_protocols():
        for protocol in protocols or ():
            schemes.update(protocol.schemes)
    return frozenset(schemes)


def run_import(ctx: CommandContext, args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8") if args.file != "-" else sys.stdin.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: cannot read: {exc}") from None
    store = ctx.open_store()
    store.check_schema()
    current = store.load_deployment()
    try:
        parsed = parse_deployment(
            text, str(path), current=current, url_schemes=_url_schemes(ctx)
        )
    except DeploymentFileError as exc:
        raise CommandError(str(exc)) from None
    incoming = resolve_passwords(parsed, current)
    changes = diff_deployments(current, incoming)
    for line in changes:
        print(line, file=ctx.out)
    if not changes:
        print(f"{path}: no change", file=ctx.out)
        return 0
    if args.dry_run:
        print(f"{path}: {len(changes)} change(s), not written (--dry-run)", file=ctx.out)
        return 0
    store.apply_deployment(incoming)
    print(f"{path}: {len(changes)} change(s) written", file=ctx.out)
    return 0


def configure_import(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="deployment TOML file ('-' for standard input)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would change, write nothing"
    )


def run_export(ctx: CommandContext, args: argparse.Namespace) -> int:
    store = ctx.open_store()
    store.check_schema()
    text = render_deployment(store.load_deployment())
    if args.output:
        write_atomically(Path(args.output), text.encode("utf-8"))
    else:
        ctx.out.write(text)
    return 0


def configure_export(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")


def run_config_show(ctx: CommandContext, args: argparse.Namespace) -> int:
    """The effective configuration, defaults filled in, as TOML a file can start from."""
    config = ctx.config
    document = {
        "database": attrs.asdict(config.database),
        "paths": attrs.asdict(config.paths),
        **{name: _plain(section) for name, section in sorted(config.sections.items())},
    }
    source = config.source or "no file: defaults"
    ctx.out.write(dumps(document, comment=f"effective configuration ({source})"))
    return 0


def run_config_reference(ctx: CommandContext, args: argparse.Namespace) -> int:
    """Markdown reference of every configuration key of the installed plugins."""
    sections = {"database": DatabaseConfig, "paths": PathsConfig}
    sections.update({name: type(value) for name, value in sorted(ctx.config.sections.items())})
    ctx.out.write(render_reference(sections))
    return 0


def _plain(section: object) -> object:
    return attrs.asdict(section, value_serializer=lambda _i, _f, v: str(v) if isinstance(v, Path) else v)


@hookimpl
def mm_cli_commands() -> list[CliCommand]:
    return [
        CliCommand(("plugins",), "list installed plugins, their versions and hooks", run_plugins),
        CliCommand(
            ("import",),
            "create or update sites, hosts and categories from a deployment file",
            run_import,
            configure_import,
        ),
        CliCommand(
            ("export",), "write the deployment (sites, hosts, ...) as TOML", run_export,
            configure_export,
        ),
        CliCommand(
            ("config", "reference"),
            "print the configuration reference (every key, default and meaning) as Markdown",
            run_config_reference,
        ),
        CliCommand(
            ("config", "show"),
            "print the effective configuration (defaults filled in) as TOML",
            run_config_show,
        ),
    ]
