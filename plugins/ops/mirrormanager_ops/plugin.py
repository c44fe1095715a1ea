"""Hook implementations: the ``[ops]`` section and the operations commands.

Light on purpose: each command's work lives in a module imported only when it runs.
"""

from __future__ import annotations

import argparse

from mmcore import hookimpl
from mmcore.commands import CliCommand


def _dry_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true",
                        help="print what would change, change nothing")


def _skip_missing(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--skip-missing", action="store_true",
                        help="move the repositories whose target exists, skip the others "
                             "(default: refuse the whole move)")


def _move_devel(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--category", required=True, help="the category (e.g. 'Fedora Linux')")
    parser.add_argument("--version", required=True, help="the version that was released")
    _skip_missing(parser)
    _dry_run(parser)


def _move_archive(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--repository", metavar="PREFIX", help="the repositories of this prefix")
    which.add_argument("--product", help="with --version: every repository of the version")
    parser.add_argument("--version", help="the version (with --product)")
    parser.add_argument("--archive-category", metavar="C",
                        help="the archive's category (default: [ops] archive_category)")
    _skip_missing(parser)
    _dry_run(parser)


def _expire_repo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("product")
    parser.add_argument("version")
    _dry_run(parser)


def _add_product(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", "--name", required=True, help="the product's name")
    parser.add_argument("--version", action="append", default=[], dest="versions",
                        metavar="VERSION", help="a version (repeatable)")
    parser.add_argument("-c", "--category",
                        help="the category (default: '<[ops] category_prefix> NAME')")
    parser.add_argument("--topdir", help="its top directory (default: pub/<name lower case>)")
    parser.add_argument("--master-host", help="host given an always-up-to-date copy "
                                              "(default: [ops] master_host)")
    _dry_run(parser)


def _update_file_detail(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE",
                        help="a repomd.xml (or other file) under a [[umdl.master]] path")
    parser.add_argument("--category", help="the [[umdl.master]] category it belongs to "
                                           "(default: the one whose path holds FILE)")
    _dry_run(parser)


def _expire_stats(parser: argparse.ArgumentParser) -> None:
    _dry_run(parser)


def _stats_import(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logs", nargs="+", metavar="LOGFILE",
                        help="list-server access log (plain, .gz, .xz or .bz2)")
    _dry_run(parser)


def _netblocks_update(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", metavar="OUTPUT", help="the netblocks file to write")
    parser.add_argument("--rib", action="append", default=[], metavar="FILE|URL",
                        help="an MRT RIB dump (repeatable; default: [ops] netblock_ribs)")
    parser.add_argument("--force", action="store_true",
                        help="replace OUTPUT even with an empty or much smaller result")
    _dry_run(parser)


def _worldmap(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--geoip", metavar="MMDB", help="GeoIP2 City database "
                                                        "(default: [ops] geoip_city)")
    _dry_run(parser)


def _rsync_filter(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--category", action="append", required=True, dest="categories",
                        metavar="NAME", help="a category (repeatable)")
    parser.add_argument("--since", required=True, type=int, metavar="EPOCH",
                        help="directories changed after this time (seconds since the epoch)")
    parser.add_argument("--strip-prefix", default="", metavar="PATH",
                        help="leading directories removed from every line")


@hookimpl
def mm_config_sections() -> dict[str, type]:
    from .config import OpsConfig

    return {"ops": OpsConfig}


@hookimpl
def mm_cli_commands() -> list[CliCommand]:
    release = "mirrormanager_ops.release"
    return [
        CliCommand(("move-devel-to-release",),
                   "after a release: repoint its development repositories to releases/",
                   f"{release}:move_devel_to_release", _move_devel),
        CliCommand(("move-to-archive",),
                   "when a release ends: move its repositories to the archive category",
                   f"{release}:move_to_archive", _move_archive),
        CliCommand(("expire-repo",),
                   "after a bad push: keep only the newest file details of a version's "
                   "repositories", f"{release}:expire_repo", _expire_repo),
        CliCommand(("add-product",), "create a product with its versions and category",
                   f"{release}:add_product", _add_product),
        CliCommand(("update-file-detail",),
                   "re-read one repomd.xml right after a push (without a whole umdl run)",
                   f"{release}:update_file_detail", _update_file_detail),
        CliCommand(("expire-stats",),
                   "delete access and propagation statistics older than [ops] keeps them",
                   "mirrormanager_ops.stats:expire_stats", _expire_stats),
        CliCommand(("stats", "import"),
                   "count list-server access logs into per-day statistics (idempotent)",
                   "mirrormanager_ops.stats:stats_import", _stats_import),
        CliCommand(("netblocks", "update"),
                   "build the list server's CIDR -> ASN file from BGP RIB dumps (MRT)",
                   "mirrormanager_ops.netblocks_command:run", _netblocks_update),
        CliCommand(("worldmap",), "host coordinates for the map, from a GeoIP2 City database",
                   "mirrormanager_ops.worldmap:run", _worldmap),
        CliCommand(("rsync-filter",),
                   "rsync filter rules for the directories changed since a time",
                   "mirrormanager_ops.rsync_filter_command:run", _rsync_filter),
    ]
