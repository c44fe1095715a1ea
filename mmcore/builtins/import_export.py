"""``mirrormanager import FILE [--dry-run] [--prune]`` and ``mirrormanager export [-o FILE]``: the
declarative deployment (see ``docs/import-export.md``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mmcore.atomic import write_atomically
from mmcore.commands import CommandError
from mmcore.deployment_file import DeploymentFileError, read_deployment_source
from mmcore.deployment_parse import parse_deployment
from mmcore.deployment_plan import plan_import
from mmcore.deployment_render import render_deployment
from mmcore.deployment_rules import DEFAULT_URL_SCHEMES
from mmcore.runtime import Runtime


def _url_schemes(runtime: Runtime) -> frozenset[str]:
    schemes = set(DEFAULT_URL_SCHEMES)
    for protocol in runtime.collect("mm_crawl_protocols"):
        schemes.update(protocol.schemes)
    return frozenset(schemes)


def run_import(runtime: Runtime, args: argparse.Namespace) -> int:
    """Validate the whole file (every problem listed on stderr as ``FILE:LINE: key.path:
    message``, exit 1, nothing written), plan the write, print the plan's changes, write it."""
    try:
        source, text = read_deployment_source(args.file, sys.stdin.buffer)
        store = runtime.open_store()
        store.check_schema()
        current = store.load_deployment()
        parsed = parse_deployment(text, source, current=current, url_schemes=_url_schemes(runtime))
        plan = plan_import(current, parsed, prune=args.prune)
    except DeploymentFileError as exc:
        print(exc.report(), file=runtime.err)
        raise CommandError(str(exc)) from None
    for line in plan.changes:
        print(line, file=runtime.out)
    note = plan.note()
    if not plan.changes:
        print(f"{source}: no change{note}", file=runtime.out)
        return 0
    if args.dry_run:
        print(f"{source}: {len(plan.changes)} change(s), not written (--dry-run){note}",
              file=runtime.out)  # fmt: skip
        return 0
    store.apply_deployment(plan.target)
    print(f"{source}: {len(plan.changes)} change(s) written{note}", file=runtime.out)
    return 0


def run_export(runtime: Runtime, args: argparse.Namespace) -> int:
    store = runtime.open_store()
    store.check_schema()
    text = render_deployment(store.load_deployment())
    if args.output:
        write_atomically(Path(args.output), text.encode("utf-8"))
    else:
        runtime.out.write(text)
    return 0
