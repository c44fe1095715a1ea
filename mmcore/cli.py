"""The ``mirrormanager`` command: a tree of subcommands contributed by plugins.

Building the command line loads every plugin's hook module but imports no command's heavy
modules: a command's ``run`` is imported when it runs (see :class:`mmcore.commands.CliCommand`).

Exit status: 0 success, 1 the work failed (the message says why), 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import TextIO

from mmcore import __version__
from mmcore.commands import CliCommand, CommandError, UsageError
from mmcore.plugins import PluginError, PluginManager, get_plugin_manager

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def collect_commands(pm: PluginManager) -> list[CliCommand]:
    commands: dict[tuple[str, ...], CliCommand] = {}
    for contributed in pm.hook.mm_cli_commands(plugin_manager=pm):
        for command in contributed or ():
            if command.path in commands:
                raise PluginError(f"two plugins define the command {' '.join(command.path)!r}")
            commands[command.path] = command
    return sorted(commands.values(), key=lambda c: c.path)


def collect_config_sections(pm: PluginManager) -> dict[str, type]:
    sections: dict[str, type] = {}
    for contributed in pm.hook.mm_config_sections():
        for name, cls in (contributed or {}).items():
            if name in sections and sections[name] is not cls:
                raise PluginError(f"two plugins declare the configuration section [{name}]")
            sections[name] = cls
    return sections


def _global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """``--config``, ``-v`` and ``-q``, accepted before and after the subcommand.  Below the top
    level they default to ``SUPPRESS`` so that a value given before the subcommand stays."""
    default = (lambda value: value) if top else (lambda _value: argparse.SUPPRESS)
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=default(None),
        help="configuration file (default: $MIRRORMANAGER_CONFIG, else ./mirrormanager.toml)",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=default(0), help="more log output (debug)"
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", default=default(False),
        help="only warnings and errors",
    )


def build_parser(commands: Sequence[CliCommand]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mirrormanager",
        description="Mirror management: scan the master tree, crawl mirrors, serve mirror lists.",
    )
    parser.add_argument("--version", action="version", version=f"mirrormanager {__version__}")
    _global_options(parser, top=True)
    groups: dict[tuple[str, ...], argparse._SubParsersAction] = {
        (): parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    }
    group_parsers: dict[tuple[str, ...], argparse.ArgumentParser] = {(): parser}
    leaf_paths = {command.path for command in commands}

    def subparsers_for(path: tuple[str, ...]) -> argparse._SubParsersAction:
        if path in groups:
            return groups[path]
        owner = subparsers_for(path[:-1])
        # a path that is both a command and a group (``crawl`` and ``crawl propagation``)
        group = group_parsers.get(path)
        if group is None:
            group = owner.add_parser(path[-1], help=f"{' '.join(path)} commands")
            _global_options(group, top=False)
            group_parsers[path] = group
        groups[path] = group.add_subparsers(
            dest=f"command_{len(path)}", metavar="COMMAND", required=path not in leaf_paths
        )
        return groups[path]

    # parents first, so ``crawl`` exists before ``crawl propagation`` hangs below it
    for command in sorted(commands, key=lambda c: (len(c.path), c.path)):
        owner = subparsers_for(command.path[:-1])
        sub = owner.add_parser(command.path[-1], help=command.help, description=command.help)
        _global_options(sub, top=False)
        group_parsers[command.path] = sub
        if command.configure is not None:
            command.configure(sub)
        sub.set_defaults(_command=command)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    plugin_manager: PluginManager | None = None,
) -> int:
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        pm = plugin_manager or get_plugin_manager()
        commands = collect_commands(pm)
    except PluginError as exc:
        print(f"mirrormanager: {exc}", file=err)
        return EXIT_USAGE

    parser = build_parser(commands)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return int(exc.code or 0)
    from mmcore.logs import setup_logging

    setup_logging(-1 if args.quiet else args.verbose)
    command: CliCommand | None = getattr(args, "_command", None)
    if command is None:
        parser.print_help(err)
        return EXIT_USAGE
    return run_command(command, args, pm, out=out, err=err)


def run_command(
    command: CliCommand,
    args: argparse.Namespace,
    pm: PluginManager,
    *,
    out: TextIO,
    err: TextIO,
) -> int:
    """Load the configuration, build the runtime, run ``command``, map errors to exit status."""
    from mmcore.config import ConfigError, find_config_file, load_config
    from mmcore.errors import first_of
    from mmcore.runtime import Runtime
    from mmcore.store_errors import StoreConfigError, StoreError

    try:
        config = load_config(find_config_file(args.config), collect_config_sections(pm))
    except (ConfigError, PluginError) as exc:
        print(f"mirrormanager: configuration error: {exc}", file=err)
        return EXIT_USAGE

    runtime = Runtime(config, pm, out=out, err=err)
    usage = (UsageError, StoreConfigError)
    failed = (CommandError, StoreError)
    try:
        return command.resolve()(runtime, args)
    except usage as exc:
        print(f"mirrormanager: {exc}", file=err)
        return EXIT_USAGE
    except failed as exc:
        print(f"mirrormanager: {exc}", file=err)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("mirrormanager: interrupted", file=err)
        return EXIT_INTERRUPTED
    except BaseExceptionGroup as group:  # from a trio nursery: report the first known error
        known = first_of(group, (*usage, *failed, KeyboardInterrupt))
        if known is None:
            raise
        if isinstance(known, KeyboardInterrupt):
            print("mirrormanager: interrupted", file=err)
            return EXIT_INTERRUPTED
        print(f"mirrormanager: {known}", file=err)
        return EXIT_USAGE if isinstance(known, usage) else EXIT_FAILED
    finally:
        try:
            runtime.close()
        except StoreError as exc:
            print(f"mirrormanager: {exc}", file=err)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
