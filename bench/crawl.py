"""Crawler benchmark: N simulated HTTP mirrors on loopback, D directories each, crawled at
concurrency C; prints the crawler's wall time, CPU time and peak RSS, and the simulated servers'
CPU time, so it shows whether the crawl is bound by the servers or by the crawler.

    .venv/bin/python bench/crawl.py [--mirrors 500] [--directories 100] [--concurrency 100]
                                    [--servers 4] [--db sqlite|postgresql+psycopg://...]
    .venv/bin/python bench/crawl.py --quick    # 100 mirrors x 100 directories: under a minute

The mirrors are virtual: ``--servers`` processes of :mod:`mmcore.crawl.mirrorserver` each serve
a share of them from two trees on disk (one up to date, one stale: one directory of every tenth
mirror lacks its file).  The database (a temporary SQLite file by default) is filled with
``bulk_load``: one category, the directories with their file lists and repomd.xml checksum, and
one host category with one host_category_dir row per directory for every mirror.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import trio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOPDIR = "pub/fedora/linux"


def build_tree(top: Path, directories: int, stale: bool) -> list[tuple[str, list[tuple[str, int]], str | None]]:
    """``directories`` directories under ``top``; returns (path, files, repomd sha) per dir."""
    layout = []
    for number in range(directories - 1):
        path = f"releases/40/Everything/x86_64/os/Packages/d{number:03d}"
        name = f"pkg-{number}-1.0-1.x86_64.rpm"
        size = 1000 + number
        if not (stale and number == 7):
            target = top / path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b"x" * size)
        else:
            (top / path).mkdir(parents=True, exist_ok=True)
        layout.append((path, [(name, size)], None))
    repodata = top / "releases/40/Everything/x86_64/os/repodata"
    repodata.mkdir(parents=True, exist_ok=True)
    repomd = b'<?xml version="1.0"?><repomd><revision>1</revision></repomd>\n'
    (repodata / "repomd.xml").write_bytes(repomd)
    layout.append(("releases/40/Everything/x86_64/os/repodata",
                   [("repomd.xml", len(repomd))], hashlib.sha256(repomd).hexdigest()))
    return layout


def fill_database(store, layout, mirrors: int, port_of, name_of) -> None:
    now = int(time.time())
    dirs = [(1, TOPDIR, json.dumps([]).encode(), True, 0)]
    details = []
    for number, (path, files, sha) in enumerate(layout, 2):
        entries = [{"name": n, "size": s, "timestamp": now} for n, s in files]
        dirs.append((number, f"{TOPDIR}/{path}", json.dumps(entries).encode(), True, 0))
        if sha:
            details.append((1, "repomd.xml", now, files[0][1], sha, number))

    def hcds():
        row = 0
        for host in range(1, mirrors + 1):
            for number, (path, _, _) in enumerate(layout, 2):
                row += 1
                yield (row, host, path, True, number)

    store.bulk_load({
        "site": (("id", "name", "created_by"), [(1, "bench", "bench")]),
        "directory": (("id", "name", "files", "readable", "ctime"), dirs),
        "product": (("id", "name"), [(1, "Fedora")]),
        "category": (("id", "name", "product_id", "topdir_id"), [(1, "Fedora Linux", 1, 1)]),
        "category_directory": (("category_id", "directory_id"), [(1, d[0]) for d in dirs]),
        "file_detail": (("id", "filename", "timestamp", "size", "sha256", "directory_id"), details),
        "host": (("id", "name", "site_id", "country"),
                 [(h, f"mirror{h}.example", 1, "DE") for h in range(1, mirrors + 1)]),
        "host_category": (("id", "host_id", "category_id"),
                          [(h, h, 1) for h in range(1, mirrors + 1)]),
        "host_category_url": (("id", "host_category_id", "url"),
                              [(h, h, f"http://127.0.0.1:{port_of(h)}/{name_of(h)}/fedora/linux")
                               for h in range(1, mirrors + 1)]),
        "host_category_dir": (("id", "host_category_id", "path", "up2date", "directory_id"), hcds()),
    })


def start_servers(count: int, sites_by_server: list[dict], work: Path) -> tuple[list[subprocess.Popen], list[int]]:
    processes, ports = [], []
    for index, sites in enumerate(sites_by_server):
        spec = work / f"mirrors{index}.json"
        spec.write_text(json.dumps(sites))
        process = subprocess.Popen(
            [sys.executable, "-m", "mmcore.crawl.mirrorserver", "--mirrors", str(spec)],
            stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )
        line = process.stdout.readline()
        if not line.startswith("listening "):
            raise RuntimeError(f"mirror server {index} did not start: {line!r}")
        processes.append(process)
        ports.append(int(line.split()[1]))
    return processes, ports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=int, default=500)
    parser.add_argument("--directories", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--servers", type=int, default=4)
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--quick", action="store_true",
                        help="100 mirrors x 100 directories (overrides --mirrors/--directories)")
    args = parser.parse_args()
    if args.quick:
        args.mirrors, args.directories = 100, 100
    logging.basicConfig(level=logging.WARNING)

    from mirrormanager_http.protocol import HttpProtocol
    from mirrormanager_pg_store.store import SqlStore as Store

    from mmcore.crawl.engine import CrawlOptions, crawl
    from mmcore.crawl.protocol import CrawlLimits
    from mmcore.crawl.store import CrawlStatus

    with tempfile.TemporaryDirectory(prefix="mm-bench-crawl-") as tmp:
        work = Path(tmp)
        full_layout = build_tree(work / "full" / "fedora" / "linux", args.directories, stale=False)
        build_tree(work / "stale" / "fedora" / "linux", args.directories, stale=True)

        def name_of(host: int) -> str:
            return f"m{host}"

        def server_of(host: int) -> int:
            return host % args.servers

        sites_by_server: list[dict] = [{} for _ in range(args.servers)]
        for host in range(1, args.mirrors + 1):
            root = work / ("stale" if host % 10 == 0 else "full")
            sites_by_server[server_of(host)][name_of(host)] = {"root": str(root)}
        processes, ports = start_servers(args.servers, sites_by_server, work)
        try:
            url = args.db or f"sqlite:///{work / 'bench.db'}"
            store = Store(url)
            store.upgrade()
            fill_database(store, full_layout, args.mirrors, lambda h: ports[server_of(h)], name_of)

            limits = CrawlLimits(connect_timeout=10, operation_timeout=60,
                                 concurrency=args.concurrency)
            # host logs are written as by `mirrormanager crawl` (one file per host, fsynced)
            options = CrawlOptions(concurrency=args.concurrency, host_timeout=600, dry_run=False,
                                   log_dir=work / "logs")
            servers = [psutil.Process(p.pid) for p in processes]
            server_before = [sum(s.cpu_times()[:2]) for s in servers]
            usage_before = resource.getrusage(resource.RUSAGE_SELF)
            start = time.perf_counter()
            summary = trio.run(crawl, store, [HttpProtocol()], limits, options)
            wall = time.perf_counter() - start
            usage = resource.getrusage(resource.RUSAGE_SELF)
            server_each = [sum(s.cpu_times()[:2]) - b for s, b in zip(servers, server_before)]
            ok = summary.count(CrawlStatus.OK)
            not_up2date = sum(r.not_up2date for r in summary.results)
            store.close()
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=10)

    # the crawler's CPU (all its threads: the trio loop, database and log-writing workers)
    crawler_user = usage.ru_utime - usage_before.ru_utime
    crawler_sys = usage.ru_stime - usage_before.ru_stime
    crawler_cpu = crawler_user + crawler_sys
    server_cpu = sum(server_each)
    cores = os.cpu_count() or 1
    # the shortest wall time the servers allow: their busiest process, or all of them sharing
    # the machine's cores
    server_floor = max(max(server_each), server_cpu / min(cores, len(servers)))
    # the crawler is one trio loop: its CPU time is the shortest wall time it allows
    crawler_floor = crawler_cpu
    peak_rss_mb = usage.ru_maxrss / 1024
    checked = sum(r.up2date + r.not_up2date + r.unknown for r in summary.results)
    per_dir = 1e6 / max(1, checked)
    load = os.getloadavg()[0]
    print(f"crawl bench: {args.mirrors} mirrors x {args.directories} directories, "
          f"concurrency {args.concurrency}, {args.servers} server processes, "
          f"db {url.split(':')[0]}, {cores} cores, load average {load:.1f}")
    print(f"  hosts ok {ok}/{args.mirrors}; directories checked {checked}; "
          f"not up to date {not_up2date} (expected {args.mirrors // 10})")
    print(f"  wall {wall:.1f}s; crawler CPU {crawler_cpu:.1f}s (user {crawler_user:.1f}s, "
          f"sys {crawler_sys:.1f}s; {crawler_cpu / wall:.0%} of one core); "
          f"servers CPU {server_cpu:.1f}s ({server_cpu / wall:.0%} of one core)")
    print(f"  per directory: crawler CPU {crawler_cpu * per_dir:.0f} us, servers CPU "
          f"{server_cpu * per_dir:.0f} us; crawler / servers {crawler_cpu / max(server_cpu, 1e-9):.2f}")
    bound = "the servers" if server_floor >= crawler_floor else "the crawler"
    print(f"  wall vs. busy time: servers {server_floor:.1f}s (busiest process or all on "
          f"{min(cores, len(servers))} cores), crawler {crawler_floor:.1f}s; wall / servers "
          f"{wall / max(server_floor, 1e-9):.1f}, wall / crawler {wall / max(crawler_floor, 1e-9):.1f}; "
          f"bound by {bound}")
    print(f"  crawler peak RSS {peak_rss_mb:.0f} MB (goal <= 300 MB): "
          f"{'OK' if peak_rss_mb <= 300 else 'OVER'}; throughput {checked / wall:.0f} directories/s")
    os.sys.stdout.flush()


if __name__ == "__main__":
    main()
