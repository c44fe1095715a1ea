"""The core's own commands, registered through ``mm_cli_commands`` like any plugin's.

They are generic: ``db`` works with any storage backend, ``cache write`` with any cache writer,
``serve NAME`` with any frontend.  This module only describes them; each command's module is
imported when it runs.
"""

from __future__ import annotations

import argparse

from functools import partial
from typing import TYPE_CHECKING

from mmcore import hookimpl
from mmcore.commands import CliCommand

if TYPE_CHECKING:
    from mmcore.frontend import Frontend
    from mmcore.plugins import PluginManager


def configure_import(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="deployment TOML file ('-' for standard input)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would change, write nothing"
    )
    parser.add_argument(
        "--prune",
        action="store_true",
        help="remove the hosts of the file's sites that the file does not list "
        "(without it they are left alone)",
    )


def configure_export(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")


def configure_cache_write(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o", "--output", metavar="FILE",
        help="where to write the cache (default: the writer's configured path); needs one "
             "writer (--format when several are installed)",
    )
    parser.add_argument(
        "--format", metavar="NAME", action="append", default=[],
        help="cache writer to run (repeatable; default: every installed writer; see "
             "`mirrormanager plugins`)",
    )


def serve_commands(frontends: list[Frontend]) -> list[CliCommand]:
    """One ``serve NAME`` command per installed frontend (run by :mod:`mmcore.builtins.serve`)."""
    return [
        CliCommand(("serve", frontend.name), frontend.help, "mmcore.builtins.serve:run",
                   partial(_configure_serve, frontend))
        for frontend in sorted(frontends, key=lambda f: f.name)
    ]


def _configure_serve(frontend: Frontend, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--listen", metavar="HOST:PORT", action="append",
                        help="address to listen on, [V6]:PORT for IPv6; repeat it for several "
                             "where the frontend takes several (default: from the "
                             "configuration)")
    frontend.configure(parser)
    parser.set_defaults(_frontend=frontend.name)


@hookimpl
def mm_cli_commands(plugin_manager: PluginManager) -> list[CliCommand]:
    frontends = [f for batch in plugin_manager.hook.mm_frontends() for f in batch or ()]
    return [
        CliCommand(("plugins",), "list installed plugins, their versions and hooks",
                   "mmcore.builtins.info:run_plugins"),
        CliCommand(("config", "reference"),
                   "print the configuration reference (every key, default and meaning) as "
                   "Markdown", "mmcore.builtins.info:run_config_reference"),
        CliCommand(("config", "show"),
                   "print the effective configuration (defaults filled in) as TOML",
                   "mmcore.builtins.info:run_config_show"),
        CliCommand(("db", "upgrade"),
                   "create the database schema or migrate it to the newest revision",
                   "mmcore.builtins.db:run_upgrade"),
        CliCommand(("db", "current"),
                   "print the schema revision of the database (exit 1 when it is empty or "
                   "absent)", "mmcore.builtins.db:run_current"),
        CliCommand(("import",),
                   "create or update sites, hosts and categories from a deployment file",
                   "mmcore.builtins.import_export:run_import", configure_import),
        CliCommand(("export",), "write the deployment (sites, hosts, ...) as TOML",
                   "mmcore.builtins.import_export:run_export", configure_export),
        CliCommand(("cache", "write"), "write the list-server cache (every installed format, "
                   "or --format NAME) atomically", "mmcore.builtins.cache:run",
                   configure_cache_write),
        *serve_commands(frontends),
    ]
