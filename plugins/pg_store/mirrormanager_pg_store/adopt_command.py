"""``mirrormanager db adopt URL [--dry-run] [--clear-unreadable]`` (see :mod:`.adopt`)."""

from __future__ import annotations

import argparse
from typing import Any

from mmcore.commands import CommandError
from mmcore.logs import kv
from mmcore.progress import Progress
from mmcore.store import StoreError

from .adopt import AdoptError, adopt
from .store import SqlStore


def run(runtime: Any, args: argparse.Namespace) -> int:
    store = SqlStore(args.url, create=False)
    try:
        with Progress("directory.files", None, stream=runtime.err) as progress:
            report = adopt(store, dry_run=args.dry_run,
                           clear_unreadable=args.clear_unreadable, progress=progress.advance)
    except AdoptError as exc:
        raise CommandError(f"cannot adopt {store.display_url}: {exc}") from None
    except StoreError as exc:
        raise CommandError(str(exc)) from None
    finally:
        store.close()
    verb = "would" if args.dry_run else "did"
    for directory_id, name, why in report.file_lists_cleared:
        print(f"{verb} clear the file list of directory {directory_id} ({name}): {why}",
              file=runtime.out)
    for table in report.tables_created:
        print(f"{verb} create table {table}", file=runtime.out)
    print(kv(command="db-adopt", database=store.display_url,
             mm2_revision=report.mm2_revision or "none", revision=report.revision,
             passwords_hashed=report.passwords_hashed,
             file_lists_converted=report.file_lists_converted,
             file_lists_cleared=len(report.file_lists_cleared),
             tables_created=len(report.tables_created),
             dry_run=str(args.dry_run).lower()), file=runtime.out)
    return 0
