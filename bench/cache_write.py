"""Benchmark: ``cache write`` (protobuf) on the fedora-scale dataset, SQLite and PostgreSQL.

    .venv/bin/python bench/cache_write.py [--scale fedora] [--backends sqlite,pg] [--runs 3]

For each backend it makes sure a database holding ``mirrormanager dataset --scale SCALE`` exists
(loading it the first time, which takes minutes at fedora scale), then, in a fresh child process
per run, measures:

* ``write``: the whole protobuf cache write (seconds, peak RSS of the process, file size);
* ``read``: the bare pass, a Python loop over ``SELECT host_category_id, directory_id, up2date FROM host_category_dir`` (raw driver cursor), the floor any writer
  that reads the database must pay -- the ``write/read`` ratio is the writer's own cost and
  is comparable across machines, unlike absolute times on 2 shared, noisy cores.

It then checks that both backends produced byte-identical files (the clock is frozen to the
dataset's epoch) and prints the figures next to the goals (<= 10 s, <= 200 MB) and the reference
points (MirrorManager2's Python writer: up to 50 min and 10 GB; the Rust writer: under a minute,
~600 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 10.0
GOAL_RSS_MB = 200.0
DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def open_store(url: str):
    from mirrormanager_pg_store.store import SqlStore

    return SqlStore(url)


# ---------------------------------------------------------------------------------------------
# child: one measured run
# ---------------------------------------------------------------------------------------------


def child(mode: str, url: str, out: str) -> None:
    from mirrormanager_mirrorlist.writer import ProtobufCacheWriter

    from mirrormanager_devtools.dataset.reference import EPOCH

    store = open_store(url)
    try:
        started = time.perf_counter()
        if mode == "write":
            writer = ProtobufCacheWriter(clock=lambda: EPOCH)
            result = writer.write_blocking(store, Path(out))
            report = {"bytes": result.bytes, "counts": result.counts}
        else:
            # the bare pass: a Python loop over the rows of host_category_dir, raw driver cursor
            raw = store.engine.raw_connection()
            try:
                if store.dialect == "postgresql":
                    cursor = raw.driver_connection.cursor(name="bare_pass")
                    cursor.itersize = 10_000
                else:
                    cursor = raw.cursor()
                cursor.execute("SELECT host_category_id, directory_id, up2date FROM host_category_dir")
                rows = sum(1 for _ in cursor)
            finally:
                raw.close()
            report = {"rows": rows}
        report["seconds"] = time.perf_counter() - started
    finally:
        store.close()
    # peak RSS of this process since exec (VmHWM); wait4's ru_maxrss would include the
    # parent's pages at fork time
    status = Path("/proc/self/status").read_text()
    report["rss_mb"] = int(status.split("VmHWM:")[1].split()[0]) / 1024
    print(json.dumps(report))


def measure(mode: str, url: str, out: Path) -> dict:
    """Run one child (a fresh interpreter) and return its report."""
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, url, str(out)],
        stdout=subprocess.PIPE,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{mode} on {url} failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# parent: databases, runs, report
# ---------------------------------------------------------------------------------------------


def ensure_dataset(url: str, scale_name: str, seed: int) -> None:
    from mirrormanager_devtools.dataset.load import load_dataset
    from mirrormanager_devtools.dataset.scales import SCALES

    store = open_store(url)
    try:
        store.upgrade()
        if store.table_counts().get("host_category_dir", 0) == 0:
            print(f"loading dataset scale={scale_name} seed={seed} into {store.display_url} ...",
                  flush=True)
            started = time.monotonic()
            report = load_dataset(store, SCALES[scale_name], seed, sys.stderr)
            print(f"  loaded {report.total_rows} rows in {time.monotonic() - started:.0f}s",
                  flush=True)
    finally:
        store.close()


def ensure_pg_database(server_url: str, name: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with engine.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).scalar()
        if not exists:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="fedora")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,pg")
    parser.add_argument("--data-dir", type=Path, default=REPO / "var" / "bench")
    parser.add_argument("--pg-server", default=os.environ.get("MIRRORMANAGER_BENCH_PG_URL",
                                                              DEFAULT_PG_SERVER))
    parser.add_argument("--child", nargs=3, metavar=("MODE", "URL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0

    args.data_dir.mkdir(parents=True, exist_ok=True)
    urls: dict[str, str] = {}
    for backend in args.backends.split(","):
        name = f"cache_bench_{args.scale}_{args.seed}"
        if backend == "sqlite":
            urls["sqlite"] = f"sqlite:///{args.data_dir / (name + '.db')}"
        elif backend == "pg":
            urls["pg"] = ensure_pg_database(args.pg_server, name)
        else:
            raise SystemExit(f"unknown backend {backend!r}")
    for url in urls.values():
        ensure_dataset(url, args.scale, args.seed)

    results: dict[str, dict] = {}
    for backend, url in urls.items():
        out = args.data_dir / f"cache_{args.scale}_{backend}.proto"
        writes = [measure("write", url, out) for _ in range(args.runs)]
        reads = [measure("read", url, out) for _ in range(args.runs)]
        results[backend] = {"writes": writes, "reads": reads, "file": out}

    print(f"\ncache write, scale={args.scale} seed={args.seed}, {args.runs} run(s) per figure "
          f"(median), {os.cpu_count()} CPUs")
    counts = next(iter(results.values()))["writes"][0]["counts"]
    print("  content: " + ", ".join(
        f"{k}={counts[k]}" for k in ("hosts", "MirrorListCache", "host_lists_encoded",
                                     "HCUrlCache", "FileDetailsCache", "HostNetblockCache")
        if k in counts))
    header = f"  {'backend':8} {'write s':>8} {'peak RSS MB':>12} {'file MB':>8} " \
             f"{'bare pass s':>12} {'write/bare':>10}   goal (<= {GOAL_SECONDS:.0f} s, " \
             f"<= {GOAL_RSS_MB:.0f} MB)"
    print(header)
    ok = True
    for backend, r in results.items():
        w = statistics.median(x["seconds"] for x in r["writes"])
        rss = max(x["rss_mb"] for x in r["writes"])
        rd = statistics.median(x["seconds"] for x in r["reads"])
        size = r["writes"][0]["bytes"] / 1e6
        met = w <= GOAL_SECONDS and rss <= GOAL_RSS_MB
        ok &= met
        print(f"  {backend:8} {w:8.2f} {rss:12.0f} {size:8.1f} {rd:12.2f} {w / rd:10.2f}   "
              f"{'met' if met else 'MISSED'}")
    files = [r["file"].read_bytes() for r in results.values()]
    if len(files) > 1:
        same = all(f == files[0] for f in files[1:])
        print(f"  byte-identical across backends: {'yes' if same else 'NO'}")
        ok &= same
    print("  reference: MirrorManager2 Python writer up to 3000 s / 10 GB; Rust "
          "generate-mirrorlist-cache < 60 s / ~600 MB (Fedora production figures)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
