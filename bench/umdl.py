"""Benchmark of the master-tree scanner (``mirrormanager umdl``).

On a generated Fedora-like tree (default about 1M files in 100k directories) it measures, each
phase in its own process so that peak memory is per phase:

1. the limit: a bare ``os.scandir`` walk of the tree (listing only, and listing + ``lstat`` of
   every entry, which is what a first scan must at least do);
2. the first scan with the ``directory`` source into an empty database (and how much of it was the
   database's own work);
3. an unchanged rescan;
4. a ``fullfiletimelist`` scan of the same tree into an empty database, and over the scanned one.

and prints the ratios the goals are stated in:
first scan <= 1.5 x (walk + database time), rescan <= 0.2 x first scan, fullfiletimelist <= 10 s.

    .venv/bin/python bench/umdl.py                     # 1M files, SQLite
    .venv/bin/python bench/umdl.py --scale 0.05        # a quick run
    .venv/bin/python bench/umdl.py --backend pg       # a scratch database on 127.0.0.1:5432
    .venv/bin/python bench/umdl.py --db postgresql+psycopg://postgres@127.0.0.1/mmbench

The tree is kept in ``bench/out/umdl-tree-<scale>`` and reused by later runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def tree_spec(scale: float) -> Any:
    from mirrormanager_devtools.mastertree import TreeSpec

    releases = max(1, round(95 * scale))
    return TreeSpec(
        fedora_releases=tuple(range(1, releases + 1)),
        epel_releases=tuple(range(1, max(1, round(8 * scale)) + 1)),
        arches=("x86_64", "aarch64", "ppc64le", "s390x"),
        packages_per_repo=360,
        package_dirs=36,
        images=False,
        seed=42,
    )


def ensure_tree(scale: float) -> Path:
    from mirrormanager_devtools.mastertree import generate_master_tree, write_fullfiletimelist

    root = HERE / "out" / f"umdl-tree-{scale:g}"
    marker = root / ".complete"
    if marker.exists():
        return root
    started = time.monotonic()
    tree = generate_master_tree(root, tree_spec(scale))
    write_fullfiletimelist(root / "pub" / "fedora")
    write_fullfiletimelist(root / "pub" / "epel")
    marker.write_text(json.dumps({"directories": tree.directories, "files": tree.files}))
    print(f"generated tree: {tree.directories} directories, {tree.files} files, "
          f"{len(tree.repositories)} repositories in {time.monotonic() - started:.1f}s",
          flush=True)
    return root


# --------------------------------------------------------------------------------------------
# phases (each runs in a child process)
# --------------------------------------------------------------------------------------------


def phase_walk(root: Path, with_stat: bool) -> dict[str, Any]:
    directories = files = 0
    started = time.monotonic()
    stack = [str(root / "pub")]
    while stack:
        path = stack.pop()
        directories += 1
        with os.scandir(path) as iterator:
            for entry in iterator:
                if with_stat:
                    entry.stat(follow_symlinks=False)
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    files += 1
    return {"seconds": time.monotonic() - started, "directories": directories, "files": files}


def phase_scan(root: Path, db: str, source: str, fresh: bool) -> dict[str, Any]:
    import trio

    from mmcore.deployment import ArchSpec, Deployment
    from mmcore.scan.config import MasterDirectory, UmdlConfig
    from mmcore.scan.run import run_umdl
    from mmcore.scan.sources import DirectorySource, FullFileTimeListSource
    from mirrormanager_pg_store.store import SqlStore

    if fresh and db.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(db[len("sqlite:///"):] + suffix).unlink(missing_ok=True)
    store = SqlStore(db)
    if fresh and store.dialect == "postgresql":
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    store.upgrade()
    store.apply_deployment(Deployment(arches=tuple(
        ArchSpec(a) for a in ("x86_64", "aarch64", "ppc64le", "s390x", "source"))))

    # time the database's own work: scan_apply minus the time it waits for the next batch
    # (wall clock, which includes waiting for the GIL held by the scan's other threads), and the
    # CPU time of the writing thread (the client side of the writes, SQLite's own work included)
    waited = [0.0]
    applied = [0.0]
    cpu = [0.0]
    original = store.scan_apply

    def timed_apply(snapshot: Any, batches: Any, **kwargs: Any) -> Any:
        def timed() -> Any:
            iterator = iter(batches)
            while True:
                t0, c0 = time.monotonic(), time.thread_time()
                try:
                    batch = next(iterator)
                except StopIteration:
                    waited[0] += time.monotonic() - t0
                    cpu[0] -= time.thread_time() - c0
                    return
                waited[0] += time.monotonic() - t0
                cpu[0] -= time.thread_time() - c0
                yield batch

        t0, c0 = time.monotonic(), time.thread_time()
        try:
            return original(snapshot, timed(), **kwargs)
        finally:
            applied[0] += time.monotonic() - t0
            cpu[0] += time.thread_time() - c0

    store.scan_apply = timed_apply  # type: ignore[method-assign]
    masters = (
        MasterDirectory(category="Fedora Linux", product="Fedora", topdir="pub/fedora/linux",
                        source=source, path=str(root / "pub/fedora/linux")),
        MasterDirectory(category="Fedora EPEL", product="EPEL", topdir="pub/epel",
                        source=source, path=str(root / "pub/epel")),
    )
    sources = {s.name: s for s in (DirectorySource(), FullFileTimeListSource())}
    started = time.monotonic()
    with open(os.devnull, "w") as quiet:
        report = trio.run(lambda: run_umdl(UmdlConfig(master=masters), store, sources=sources,
                                           progress_stream=quiet))
    seconds = time.monotonic() - started
    store.close()
    failed = [o.error for o in report.outcomes if o.error]
    stats = [o.stats for o in report.outcomes if o.stats]
    return {
        "seconds": seconds,
        "database_seconds": applied[0] - waited[0],
        "database_cpu_seconds": cpu[0],
        "directories_seen": sum(s.directories_seen for s in stats),
        "directories_changed": sum(s.directories_changed for s in stats),
        "directories_added": sum(s.write.directories_added for s in stats),
        "repositories_added": sum(s.write.repositories_added for s in stats),
        "file_details_added": sum(s.write.file_details_added for s in stats),
        "failed": failed,
    }


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM: unlike ru_maxrss it is not inherited from the
    parent across fork and exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_phase(args: argparse.Namespace) -> None:
    root = Path(args.tree)
    if args.phase == "walk":
        result = phase_walk(root, with_stat=False)
    elif args.phase == "walk-stat":
        result = phase_walk(root, with_stat=True)
    else:
        source, fresh = {
            "first-scan": ("directory", True),
            "rescan": ("directory", False),
            "fft-fresh": ("fullfiletimelist", True),
            "fft-rescan": ("fullfiletimelist", False),
        }[args.phase]
        result = phase_scan(root, args.db, source, fresh)
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def child(phase: str, tree: Path, db: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--tree", str(tree), "--db", db],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = ~1M files / 100k dirs")
    parser.add_argument("--db", default="", help="database URL (default: SQLite in bench/out)")
    parser.add_argument("--backend", choices=("sqlite", "pg"), default="sqlite",
                        help="pg: a scratch database on --pg-server, dropped at the end")
    parser.add_argument("--pg-server", default=PG_SERVER,
                        help="PostgreSQL server URL for --backend pg (default: %(default)s)")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--tree", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        run_phase(args)
        return
    tree = ensure_tree(args.scale)
    with contextlib.ExitStack() as stack:
        if args.db:
            db = args.db
        elif args.backend == "pg":
            db = stack.enter_context(scratch_pg_database(args.pg_server))
        else:
            db = f"sqlite:///{HERE / 'out' / f'umdl-{args.scale:g}.db'}"
        run_all(tree, db)


PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def scratch_pg_database(server_url: str) -> Iterator[str]:
    """A new PostgreSQL database on the server, dropped on the way out (also on errors)."""
    import sqlalchemy as sa

    server = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    name = f"mmbench_umdl_{secrets.token_hex(4)}"
    with server.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


def run_all(tree: Path, db: str) -> None:
    info = json.loads((tree / ".complete").read_text())
    print(f"tree: {info['directories']} directories, {info['files']} files; database: "
          f"{db.split('://')[0]}", flush=True)
    results = {}
    for phase in ("walk", "walk-stat", "first-scan", "rescan", "fft-fresh", "fft-rescan"):
        results[phase] = child(phase, tree, db)
        r = results[phase]
        extra = ""
        if "directories_seen" in r:
            extra = (f" seen={r['directories_seen']} changed={r['directories_changed']} "
                     f"added={r['directories_added']} repos={r['repositories_added']} "
                     f"details={r['file_details_added']} db={r['database_seconds']:.2f}s"
                     f" (writer cpu {r['database_cpu_seconds']:.2f}s)"
                     + (f" FAILED={r['failed']}" if r["failed"] else ""))
        print(f"{phase:12s} {r['seconds']:8.2f}s  peak RSS {r['peak_rss_mb']:7.1f} MB{extra}",
              flush=True)
    walk = results["walk-stat"]["seconds"]
    first = results["first-scan"]
    limit = walk + first["database_seconds"]
    rescan = results["rescan"]["seconds"]
    fft = results["fft-fresh"]["seconds"]
    print()
    print(f"first scan / (walk+stat + db time) = {first['seconds']:.2f} / "
          f"({walk:.2f} + {first['database_seconds']:.2f}) = {first['seconds'] / limit:.2f}"
          f"  (goal <= 1.5)  {'OK' if first['seconds'] <= 1.5 * limit else 'MISSED'}")
    print(f"unchanged rescan / first scan      = {rescan:.2f} / {first['seconds']:.2f} = "
          f"{rescan / first['seconds']:.2f}  (goal <= 0.2)  "
          f"{'OK' if rescan <= 0.2 * first['seconds'] else 'MISSED'}")
    print(f"fullfiletimelist scan (fresh db)   = {fft:.2f}s (goal <= 10 s)  "
          f"{'OK' if fft <= 10 else 'MISSED'}; over the scanned db "
          f"{results['fft-rescan']['seconds']:.2f}s")
    fft_rescan = results["fft-rescan"]["seconds"]
    print(f"fullfiletimelist fresh / rescan    = {fft:.2f} / {fft_rescan:.2f} = "
          f"{fft / fft_rescan:.2f}  (what writing {results['fft-fresh']['directories_added']} "
          f"new directories adds to reading the list)")
    print(f"peak RSS of the first scan {first['peak_rss_mb']:.0f} MB for {info['files']} files "
          f"(bare walk {results['walk']['peak_rss_mb']:.0f} MB)")


if __name__ == "__main__":
    main()
