"""``mirrormanager report-mirror``: MirrorManager2's ``report_mirror`` options, same behaviour.

    mirrormanager report-mirror [-c FILE] [--exclude-from FILE] [-o FILE] [-n] [-i FILE] [-d]

Prints the server's answer (to stderr when it is an error).  Exit status 0 when the server
answered ``checked in successful``, 1 when it answered an error (MirrorManager2's client exited
0 then, hiding failures from cron) or could not be reached, or the configuration is unusable.
The arguments are declared in ``plugin.py`` (built with the command line).
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
from mirrormanager_report_mirror.send import SendError, send_report

ERROR_SUFFIX = "error checking in"


class _Output(Protocol):
    """What ``run`` uses of the runtime (only where to print: no database, no configuration)."""

    out: TextIO
    err: TextIO


def run(runtime: _Output, args: argparse.Namespace) -> int:
    try:
        excludes = read_excludes(args.exclude_from) if args.exclude_from else []
        base = _load_input(args.input) if args.input else None
        report = build_report(args.report_config, excludes=excludes, base=base,
                              walk=args.input is None)
    except ReportError as exc:
        raise CommandError(str(exc)) from None
    if args.debug:
        pprint.pprint(report, stream=runtime.out, indent=4)
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
        print(answer, file=runtime.err)  # so that cron mails it even with stdout discarded
        return 1
    print(answer, file=runtime.out)
    return 0


def _load_input(path: str) -> dict[str, Any]:
    try:
        loaded = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: cannot read the report: {exc}") from None
    if not isinstance(loaded, dict):
        raise ReportError(f"{path}: not a report (a JSON object)")
    return loaded
