"""``mirrormanager import FILE [--dry-run]`` and ``mirrormanager export [-o FILE]``: the
declarative deployment (see ``docs/import-export.md``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mmcore.atomic import write_atomically
from mmcore.commands import CommandError
from mmcore.deployment_diff import diff_deployments
from mmcore.deployment_file import (
    DEFAULT_URL_SCHEMES,
    DeploymentFileError,
    parse_deployment,
    render_deployment,
    resolve_passwords,
)
from mmcore.runtime import Runtime


def _url_schemes(runtime: Runtime) -> frozenset[str]:
    schemes = set(DEFAULT_URL_SCHEMES)
    for protocol in runtime.collect("mm_crawl_protocols"):
        schemes.update(protocol.schemes)
    return frozenset(schemes)


def run_import(runtime: Runtime, args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8") if args.file != "-" else sys.stdin.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: cannot read: {exc}") from None
    store = runtime.open_store()
    store.check_schema()
    current = store.load_deployment()
    try:
        parsed = parse_deployment(
            text, str(path), current=current, url_schemes=_url_schemes(runtime)
        )
    except DeploymentFileError as exc:
        raise CommandError(str(exc)) from None
    incoming = resolve_passwords(parsed, current)
    changes = diff_deployments(current, incoming)
    for line in changes:
        print(line, file=runtime.out)
    if not changes:
        print(f"{path}: no change", file=runtime.out)
        return 0
    if args.dry_run:
        print(f"{path}: {len(changes)} change(s), not written (--dry-run)", file=runtime.out)
        return 0
    store.apply_deployment(incoming)
    print(f"{path}: {len(changes)} change(s) written", file=runtime.out)
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
