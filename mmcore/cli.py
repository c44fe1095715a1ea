"""The ``mirrormanager`` command: a tree of subcommands contributed by plugins.

Exit status: 0 success, 1 the work failed (the message says why), 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import TextIO

import pluggy

from mmcore import __version__
from mmcore.commands import CliCommand, CommandContext, CommandError, UsageError
from mmcore.config import ConfigError, find_config_file, load_config
from mmcore.logs import setup_logging
from mmcore.plugins import PluginError, get_plugin_manager
from mmcore.store import StoreError

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def collect_commands(pm: pluggy.PluginManager) -> list[CliCommand]:
    commands: dict[tuple[str, ...], CliCommand] = {}
    for contributed in pm.hook.mm_cli_commands():
        for command in contributed or ():
            if command.path in commands:
                raise PluginError(f"two plugins define the command {' '.join(command.path)!r}")
            commands[command.path] = command
    return sorted(commands.values(), key=lambda c: c.path)


def collect_config_sections(pm: pluggy.PluginManager) -> dict[str, type]:
    sections: dict[str, type] = {}
    for contributed in pm.hook.mm_config_sections():
        for name, cls in (contributed or {}).items():
            if name in sections and sections[name] is not cls:
                raise PluginError(f"two plugins declare the configuration section [{name}]")
            sections[name] = cls
    return sections


def build_parser(commands: Sequence[CliCommand]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mirrormanager",
        description="Mirror management: scan the master tree, crawl mirrors, serve mirror lists.",
    )
    parser.add_argument("--version", action="version", version=f"mirrormanager {__version__}")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (default: $MIRRORMANAGER_CONFIG, else ./mirrormanager.toml)",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (debug)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
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
            group_parsers[path] = group
        groups[path] = group.add_subparsers(
            dest=f"command_{len(path)}", metavar="COMMAND", required=path not in leaf_paths
        )
        return groups[path]

    # parents first, so ``crawl`` exists before ``crawl propagation`` hangs below it
    for command in sorted(commands, key=lambda c: (len(c.path), c.path)):
        owner = subparsers_for(command.path[:-1])
        sub = owner.add_parser(command.path[-1], help=command.help, description=command.help)
        group_parsers[command.path] = sub
        if command.configure is not None:
            command.configure(sub)
        sub.set_defaults(_command=command)
    return parser


def _resolve(args: argparse.Namespace) -> CliCommand | None:
    """The deepest command selected (``crawl propagation`` wins over ``crawl``)."""
    return getattr(args, "_command", None)


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    plugin_manager: pluggy.PluginManager | None = None,
) -> int:
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        pm = plugin_manager or get_plugin_manager()
        commands = collect_commands(pm)
        sections = collect_config_sections(pm)
    except PluginError as exc:
        print(f"mirrormanager: {exc}", file=err)
        return EXIT_USAGE

    parser = build_parser(commands)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return int(exc.code or 0)
    setup_logging(-1 if args.quiet else args.verbose)

    command = _resolve(args)
    if command is None:
        parser.print_help(err)
        return EXIT_USAGE
    try:
        config = load_config(find_config_file(args.config), sections)
    except ConfigError as exc:
        print(f"mirrormanager: configuration error: {exc}", file=err)
        return EXIT_USAGE

    context = CommandContext(config=config, plugin_manager=pm, out=out, err=err)
    try:
        return command.run(context, args)
    except UsageError as exc:
        print(f"mirrormanager: {exc}", file=err)
        return EXIT_USAGE
    except (CommandError, StoreError) as exc:
        print(f"mirrormanager: {exc}", file=err)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("mirrormanager: interrupted", file=err)
        return 130
    finally:
        context.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
