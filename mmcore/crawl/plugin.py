"""The crawler's built-in plugin: the ``[crawler]`` section and the ``crawl`` commands (run from
:mod:`mmcore.crawl.command`)."""

from __future__ import annotations

import argparse

from mmcore import hookimpl
from mmcore.commands import CliCommand


@hookimpl
def mm_config_sections() -> dict[str, type]:
    from mmcore.crawl.config import CrawlerConfig

    return {"crawler": CrawlerConfig}


def _configure_crawl(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", action="append", type=int, default=[], metavar="ID",
                        help="crawl only this host id (repeatable)")
    parser.add_argument("--category", action="append", default=[], metavar="NAME",
                        help="crawl only this category (repeatable)")
    parser.add_argument("--continent", action="append", default=[], metavar="XX",
                        help="only hosts in this continent (AF AN AS EU NA OC SA); ^XX excludes")
    parser.add_argument("--include-private", action="store_true", help="also crawl private hosts")
    parser.add_argument("--include-disabled", action="store_true",
                        help="also crawl hosts that are disabled (user_active false)")
    parser.add_argument("--concurrency", type=int, metavar="N",
                        help="hosts crawled at once (default: [crawler] concurrency)")
    parser.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="deadline per host (default: [crawler] host_timeout)")
    parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")
    parser.add_argument("--startid", type=int, default=0, metavar="ID",
                        help="crawl only hosts with id >= ID")
    parser.add_argument("--stopid", type=int, default=0, metavar="ID",
                        help="crawl only hosts with id < ID (0: no limit)")
    parser.add_argument("-f", "--fraction", metavar="A:B",
                        help="crawl the A-th of B contiguous slices of the selected hosts' "
                             "sorted ids (1:2 the first half, 2:3 the middle third); not with "
                             "--startid/--stopid")
    parser.add_argument("--processes", type=int, metavar="N",
                        help="split the crawl over N processes, each a --fraction i:N with its "
                             "share of --concurrency (default: [crawler] processes)")
    # a --processes child: progress and results as JSON lines on this file descriptor
    parser.add_argument("--progress-fd", type=int, help=argparse.SUPPRESS)


def _configure_propagation(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--product", help="only this product (default: every product in "
                                          "[crawler] propagation_repos)")
    parser.add_argument("--version", help="only this version (needs --product)")
    parser.add_argument("--concurrency", type=int, metavar="N")
    parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")


@hookimpl
def mm_cli_commands() -> list[CliCommand]:
    return [
        CliCommand(("crawl",), "check mirrors over rsync, HTTP(S) and FTP; record which "
                   "directories are up to date", "mmcore.crawl.command:run_crawl", _configure_crawl),
        CliCommand(("crawl", "propagation"), "record how far each release's newest "
                   "repomd.xml has spread", "mmcore.crawl.command:run_propagation", _configure_propagation),
    ]
