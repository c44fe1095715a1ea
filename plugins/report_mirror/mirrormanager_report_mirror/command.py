"""``mirrormanager report-mirror``: MirrorManager2's ``report_mirror`` options, same behaviour.

    mirrormanager report-mirror [-c FILE] [--exclude-from FILE] [-o FILE] [-n] [-i FILE] [-d]

Prints the server's answer (to stderr when it is an error).  Exit status 0 when the server
answered ``checked in successful``, 1 when it answered an error (MirrorManager2's client exited 0 then, hiding
failures from cron) or could not be reached, or the configuration is unusable.
"""

from __future__ import annotations

import argparse
import json
import pprint
from pathlib import Path
from typing import Any, Protocol, TextIO

from mmcore.atomic import write_atomically
from mmcore.commands import CommandError

from mirrormanager_report_mirror.report import (
    ReportError,
    build_report,
    encode_report,
    payload_json,
    read_excludes,
)
from mirrormanager_report_mirror.send import DEFAULT_TIMEOUT, SendError, send_report

DEFAULT_CONFIG = "/etc/mirrormanager-client/report_mirror.conf"
ERROR_SUFFIX = "error checking in"


class _Output(Protocol):
    out: TextIO
    err: TextIO


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-c", "--config", dest="report_config", metavar="FILE",
                        default=DEFAULT_CONFIG,
                        help=f"report_mirror configuration (INI; default {DEFAULT_CONFIG})")
    parser.add_argument("--exclude-from", metavar="FILE",
                        help="directory patterns to leave out, one per line: a directory is "
                             "left out when a pattern is part of its path/")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="also write the report (JSON) to FILE")
    parser.add_argument("-n", "--no-send", action="store_true",
                        help="build the report but do not send it")
    parser.add_argument("-i", "--input", metavar="FILE",
                        help="start from a report saved with --output instead of walking the "
                             "directories (debugging)")
    parser.add_argument("-d", "--debug", action="store_true", help="print the report")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"give up on the server after SECONDS (default {DEFAULT_TIMEOUT:g})")


def run(ctx: _Output, args: argparse.Namespace) -> int:
    try:
        excludes = read_excludes(args.exclude_from) if args.exclude_from else []
        base = _load_input(args.input) if args.input else None
        report = build_report(args.report_config, excludes=excludes, base=base,
                              walk=args.input is None)
    except ReportError as exc:
        raise CommandError(str(exc)) from None
    if args.debug:
        pprint.pprint(report, stream=ctx.out, indent=4)
    if args.output:
        try:
            # it holds the site password: readable by its owner only
            write_atomically(Path(args.output), payload_json(report).encode(), mode=0o600)
        except OSError as exc:
            raise CommandError(f"{args.output}: cannot write the report: {exc}") from None
    if report.get("global", {}).get("enabled") != "1":
        raise CommandError("[global] is not enabled: nothing sent")
    if args.no_send:
        return 0
    try:
        answer = send_report(report["global"]["server"], encode_report(report),
                             timeout=args.timeout)
    except SendError as exc:
        raise CommandError(str(exc)) from None
    if answer.endswith(ERROR_SUFFIX):
        print(answer, file=ctx.err)  # so that cron mails it even with stdout discarded
        return 1
    print(answer, file=ctx.out)
    return 0


def _load_input(path: str) -> dict[str, Any]:
    try:
        loaded = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: cannot read the report: {exc}") from None
    if not isinstance(loaded, dict):
        raise ReportError(f"{path}: not a report (a JSON object)")
    return loaded
