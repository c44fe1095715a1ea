"""Bench: `mirrormanager dataset --scale fedora` into a fresh SQLite file and a fresh PostgreSQL
database, each in its own child process so peak memory is measured per run.

Goal (issue 3): <= 30 s and <= 1 GB each.  Also runs the generator alone (no database) so the
report says whether generation or loading dominates.  The machine has 2 shared, noisy cores, so
every run also reports CPU seconds (the client's, and for PostgreSQL the server backend's read
from /proc), which other load on the machine inflates far less than wall time.

    .venv/bin/python bench/dataset.py [--seed N] [--scale fedora|small] [--only sqlite|pg|generate]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_SERVER_URL = os.environ.get(
    "MIRRORMANAGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
GOAL_SECONDS = 30.0
GOAL_RSS_MB = 1024.0


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _proc_cpu(pid: int) -> float:
    """utime + stime of another process on this machine, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child(kind: str, target: str, scale_name: str, seed: int) -> dict[str, object]:
    """One measured run; returns figures as a dict (printed as JSON by the child)."""
    import itertools

    from mirrormanager_devtools.dataset.load import load_dataset
    from mirrormanager_devtools.dataset.scales import SCALES
    from mirrormanager_devtools.dataset.tables import Dataset

    scale = SCALES[scale_name]
    started = time.monotonic()
    if kind == "generate":
        rows = 0
        for table in Dataset(scale, seed).tables().values():
            iterator = iter(table.rows)
            while batch := list(itertools.islice(iterator, 50_000)):
                rows += len(batch)
        return {"seconds": time.monotonic() - started, "rows": rows, "cpu": _cpu_self(),
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    from mirrormanager_pg_store.store import SqlStore

    store = SqlStore(target)
    store.upgrade()
    backend_pid = None
    if store.dialect == "postgresql":
        with store.engine.connect() as conn:
            backend_pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        server_cpu_before = _proc_cpu(backend_pid)
    cpu_before = _cpu_self()
    started = time.monotonic()
    report = load_dataset(store, scale, seed)
    seconds = time.monotonic() - started
    result: dict[str, object] = {
        "seconds": seconds, "rows": report.total_rows, "finish": report.finish_seconds,
        "cpu": _cpu_self() - cpu_before,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "hcd": report.rows["host_category_dir"],
    }
    if backend_pid is not None:
        with store.engine.connect() as conn:
            same = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() == backend_pid
        result["server_cpu"] = _proc_cpu(backend_pid) - server_cpu_before if same else None
    store.close()
    return result


def _run_child(kind: str, target: str, scale: str, seed: int) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, target, "--scale", scale, "--seed", str(seed)],
        capture_output=True, text=True, timeout=900, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _pg_database() -> tuple[str, object]:
    import sqlalchemy as sa

    server = sa.create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    name = f"mmbench_{secrets.token_hex(4)}"
    with server.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()

    url = sa.make_url(PG_SERVER_URL).set(database=name).render_as_string(hide_password=False)
    return url, drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="fedora")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=("sqlite", "pg", "generate"))
    parser.add_argument("--child", nargs=2, metavar=("KIND", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.scale, args.seed)))
        return 0

    print(f"dataset bench: scale={args.scale} seed={args.seed} cpus={os.cpu_count()} "
          f"loadavg={os.getloadavg()[0]:.1f} goal<= {GOAL_SECONDS:.0f}s and <= "
          f"{GOAL_RSS_MB:.0f} MB per backend")
    results: dict[str, dict[str, object]] = {}
    if args.only in (None, "generate"):
        results["generate only"] = _run_child("generate", "-", args.scale, args.seed)
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="mmbench-") as tmp:
            results["sqlite"] = _run_child("load", f"sqlite:///{tmp}/bench.db", args.scale,
                                           args.seed)
    if args.only in (None, "pg"):
        url, drop = _pg_database()
        try:
            results["postgresql"] = _run_child("load", url, args.scale, args.seed)
        finally:
            drop()  # type: ignore[operator]
    print(f"{'run':<14} {'seconds':>8} {'rows':>10} {'rows/s':>9} {'peak RSS':>9} "
          f"{'client CPU':>10} {'server CPU':>10} {'finish':>7}  verdict")
    for name, r in results.items():
        seconds = float(r["seconds"])  # type: ignore[arg-type]
        rows = int(r["rows"])  # type: ignore[call-overload]
        rss = float(r["rss_mb"])  # type: ignore[arg-type]
        server = r.get("server_cpu")
        verdict = ""
        if name != "generate only":
            ok_time = seconds <= GOAL_SECONDS
            ok_rss = rss <= GOAL_RSS_MB
            verdict = (f"time {'ok' if ok_time else 'MISSED'} ({seconds / GOAL_SECONDS:.2f}x goal), "
                       f"memory {'ok' if ok_rss else 'MISSED'} ({rss / GOAL_RSS_MB:.2f}x goal)")
        cpu = float(r["cpu"])  # type: ignore[arg-type]
        server_text = f"{float(server):.1f}s" if server is not None else "-"  # type: ignore[arg-type]
        finish_text = f"{float(r['finish']):.1f}s" if "finish" in r else "-"  # type: ignore[arg-type]
        print(f"{name:<14} {seconds:>8.1f} {rows:>10,} {rows / seconds:>9,.0f} {rss:>7.0f}MB "
              f"{cpu:>9.1f}s {server_text:>10} {finish_text:>7}  {verdict}")
    if "generate only" in results:
        gen = float(results["generate only"]["seconds"])  # type: ignore[arg-type]
        for name in ("sqlite", "postgresql"):
            if name in results:
                total = float(results[name]["seconds"])  # type: ignore[arg-type]
                print(f"{name}: generation ~{gen:.1f}s ({gen / total:.0%}), database "
                      f"~{total - gen:.1f}s ({(total - gen) / total:.0%}) of which "
                      f"{float(results[name]['finish']):.1f}s after the last row "  # type: ignore[arg-type]
                      "(index rebuild, FK checks, commit)")
    print(f"loadavg at end={os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
