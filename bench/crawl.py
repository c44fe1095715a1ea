"""Crawler benchmark: N simulated HTTP mirrors on loopback, D directories each, crawled at
concurrency C, twice in one run; prints the crawler's wall time, CPU time and peak RSS, and the
simulated servers' CPU time, so it shows whether the crawl is bound by the servers or by the
crawler.

    .venv/bin/python bench/crawl.py [--mirrors 500] [--directories 100] [--concurrency 100]
                                    [--servers 4] [--latency-ms 30]
                                    [--db sqlite|postgresql+psycopg://...]
    .venv/bin/python bench/crawl.py --quick    # 100 mirrors x 100 directories: under a minute

(a) The servers answer at once (loopback): nothing to wait for, so the wall time is whichever
    side needs more CPU -- the CPU comparison of crawler and servers per request.
(b) The same crawl against mirrors a modeled network round trip away (``--latency-ms``, every
    answer delayed by a sleep in the server; default 30 ms): what a crawl of real mirrors looks
    like.  The servers then set a floor -- requests x (round trip + their CPU per request) /
    concurrency -- and the question is whether the crawler's CPU fits under it.  The break-even
    round trip is the crawler's CPU per request x concurrency: above it, the crawler keeps up
    with C mirrors waiting for their answers.

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

import attrs
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


def start_servers(sites_by_server: list[dict], work: Path, latency_ms: float) -> tuple[list[subprocess.Popen], list[int]]:
    processes, ports = [], []
    for index, sites in enumerate(sites_by_server):
        spec = work / f"mirrors{index}.json"
        spec.write_text(json.dumps(sites))
        process = subprocess.Popen(
            [sys.executable, "-m", "mmcore.crawl.mirrorserver", "--mirrors", str(spec),
             "--latency-ms", str(latency_ms)],
            stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )
        processes.append(process)
        line = process.stdout.readline()
        if not line.startswith("listening "):
            raise RuntimeError(f"mirror server {index} did not start: {line!r}")
        ports.append(int(line.split()[1]))
    return processes, ports


@attrs.frozen
class Phase:
    """What one crawl of all the mirrors measured."""

    latency_ms: float
    ok: int
    checked: int
    not_up2date: int
    #: HEAD/GET requests the crawler sent (probe + one per expected file, per mirror)
    requests: int
    wall: float
    crawler_user: float
    crawler_sys: float
    #: CPU seconds of each server process during the crawl
    server_each: tuple[float, ...]
    #: the crawler process's peak RSS so far (this phase and the ones before)
    peak_rss_mb: float

    @property
    def crawler_cpu(self) -> float:
        return self.crawler_user + self.crawler_sys

    @property
    def server_cpu(self) -> float:
        return sum(self.server_each)

    def per_request(self, seconds: float) -> float:
        return seconds / max(1, self.requests)


def crawl_phase(args, work: Path, layout, latency_ms: float) -> Phase:
    """Start the servers (answers delayed by ``latency_ms``), fill a fresh database, crawl every
    mirror through the real engine, stop the servers; the figures of that crawl."""
    from mirrormanager_http.protocol import HttpProtocol
    from mirrormanager_pg_store.store import SqlStore as Store

    from mmcore.crawl.engine import CrawlOptions, crawl
    from mmcore.crawl.protocol import CrawlLimits
    from mmcore.crawl.store import CrawlStatus

    def name_of(host: int) -> str:
        return f"m{host}"

    def server_of(host: int) -> int:
        return host % args.servers

    sites_by_server: list[dict] = [{} for _ in range(args.servers)]
    for host in range(1, args.mirrors + 1):
        root = work / ("stale" if host % 10 == 0 else "full")
        sites_by_server[server_of(host)][name_of(host)] = {"root": str(root)}
    tag = f"{latency_ms:g}ms"
    processes: list[subprocess.Popen] = []
    try:
        processes, ports = start_servers(sites_by_server, work, latency_ms)
        url = args.db or f"sqlite:///{work / f'bench-{tag}.db'}"
        store = Store(url)
        store.upgrade()
        fill_database(store, layout, args.mirrors, lambda h: ports[server_of(h)], name_of)

        limits = CrawlLimits(connect_timeout=10, operation_timeout=60, concurrency=args.concurrency)
        # host logs are written as by `mirrormanager crawl` (one file per host, fsynced)
        options = CrawlOptions(concurrency=args.concurrency, host_timeout=600, dry_run=False,
                               log_dir=work / f"logs-{tag}")
        servers = [psutil.Process(p.pid) for p in processes]
        server_before = [sum(s.cpu_times()[:2]) for s in servers]
        usage_before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        summary = trio.run(crawl, store, [HttpProtocol()], limits, options)
        wall = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_SELF)
        server_each = tuple(sum(s.cpu_times()[:2]) - b for s, b in zip(servers, server_before))
        store.close()
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
    # every mirror: one probe, one HEAD of the (file-less) top directory, then one request per
    # expected file (each directory holds one file, so a directory that is not up to date
    # costs its one request too)
    requests = args.mirrors * (2 + sum(len(files) for _, files, _ in layout))
    return Phase(
        latency_ms=latency_ms,
        ok=summary.count(CrawlStatus.OK),
        checked=sum(r.up2date + r.not_up2date + r.unknown for r in summary.results),
        not_up2date=sum(r.not_up2date for r in summary.results),
        requests=requests,
        wall=wall,
        # the crawler's CPU: all its threads (the trio loop, database and log-writing workers)
        crawler_user=usage.ru_utime - usage_before.ru_utime,
        crawler_sys=usage.ru_stime - usage_before.ru_stime,
        server_each=server_each,
        peak_rss_mb=usage.ru_maxrss / 1024,
    )


def print_common(args, phase: Phase) -> None:
    print(f"  hosts ok {phase.ok}/{args.mirrors}; directories checked {phase.checked}; "
          f"not up to date {phase.not_up2date} (expected {args.mirrors // 10}); "
          f"requests {phase.requests}")
    print(f"  wall {phase.wall:.1f}s; crawler CPU {phase.crawler_cpu:.1f}s "
          f"(user {phase.crawler_user:.1f}s, sys {phase.crawler_sys:.1f}s; "
          f"{phase.crawler_cpu / phase.wall:.0%} of one core); servers CPU {phase.server_cpu:.1f}s "
          f"({phase.server_cpu / phase.wall:.0%} of one core)")
    per_dir = 1e6 / max(1, phase.checked)
    print(f"  per request: crawler CPU {phase.per_request(phase.crawler_cpu) * 1e6:.0f} us, servers "
          f"CPU {phase.per_request(phase.server_cpu) * 1e6:.0f} us; per directory: crawler "
          f"{phase.crawler_cpu * per_dir:.0f} us, servers {phase.server_cpu * per_dir:.0f} us; "
          f"crawler / servers {phase.crawler_cpu / max(phase.server_cpu, 1e-9):.2f}")


def report_loopback(args, phase: Phase, cores: int) -> None:
    """(a): nothing to wait for; the wall time is the busier side's CPU."""
    print("(a) servers answering at once (loopback): the CPU comparison")
    print_common(args, phase)
    # the shortest wall time the servers allow: their busiest process, or all of them sharing
    # the machine's cores; the crawler is one trio loop: its CPU time is its shortest wall time
    server_floor = max(max(phase.server_each), phase.server_cpu / min(cores, args.servers))
    crawler_floor = phase.crawler_cpu
    bound = "the servers" if server_floor >= crawler_floor else "the crawler"
    print(f"  wall vs. busy time: servers {server_floor:.1f}s (busiest process or all on "
          f"{min(cores, args.servers)} cores), crawler {crawler_floor:.1f}s; wall / servers "
          f"{phase.wall / max(server_floor, 1e-9):.1f}, wall / crawler "
          f"{phase.wall / max(crawler_floor, 1e-9):.1f}; bound by {bound}")
    print(f"  crawler peak RSS {phase.peak_rss_mb:.0f} MB (goal <= 300 MB): "
          f"{'OK' if phase.peak_rss_mb <= 300 else 'OVER'}; throughput "
          f"{phase.checked / phase.wall:.0f} directories/s")


def report_round_trip(args, phase: Phase, cores: int) -> None:
    """(b): every answer a modeled round trip away; do the servers (the network) set the wall
    time, or does the crawler's CPU?"""
    rtt = phase.latency_ms / 1000
    print(f"(b) mirrors a modeled round trip of {phase.latency_ms:g} ms away "
          "(every answer delayed by the servers)")
    print_common(args, phase)
    # each mirror's requests go one after the other: each waits a round trip (plus one for the
    # connection's handshake) and the server's CPU for it; C mirrors wait at once
    waits = (phase.requests + args.mirrors) * rtt / args.concurrency
    server_work = phase.server_cpu / args.concurrency
    server_busy = max(max(phase.server_each), phase.server_cpu / min(cores, args.servers))
    floor = max(waits + server_work, server_busy)
    share = phase.crawler_cpu / phase.wall
    print(f"  floor the servers set: {floor:.1f}s = (requests {phase.requests} + handshakes "
          f"{args.mirrors}) x {phase.latency_ms:g} ms / concurrency {args.concurrency} "
          f"= {waits:.1f}s, + their CPU / concurrency {server_work:.2f}s "
          f"(their CPU on {min(cores, args.servers)} cores alone: {server_busy:.1f}s)")
    print(f"  wall {phase.wall:.1f}s = {phase.wall / floor:.2f} x the floor; crawler CPU "
          f"{phase.crawler_cpu:.1f}s = {share:.0%} of the wall")
    if phase.crawler_cpu < floor and share < 0.85:
        # the crawler's one loop keeps up; what the wall has above the floor is answers that
        # arrive together waiting their turn in it (grows with its busy share), and the crawl's
        # start and finish (expectations read, the last hosts' results written)
        verdict = (f"bound by the servers' round trip: the crawler's CPU fits under their floor "
                   f"(busy {share:.0%} of the wall); the wall's {phase.wall / floor - 1:.0%} "
                   "above the floor: answers waiting their turn in the crawler's one loop, the "
                   "crawl's start and finish")
    elif share >= 0.85:
        verdict = f"bound by the crawler: busy {share:.0%} of the wall"
    else:
        verdict = (f"bound by the crawler's CPU: it needs more than the servers' floor "
                   f"({phase.crawler_cpu:.1f}s > {floor:.1f}s), busy {share:.0%} of the wall")
    print(f"  verdict: {verdict}")
    print(f"  crawler peak RSS so far {phase.peak_rss_mb:.0f} MB (goal <= 300 MB): "
          f"{'OK' if phase.peak_rss_mb <= 300 else 'OVER'}; throughput "
          f"{phase.checked / phase.wall:.0f} directories/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=int, default=500)
    parser.add_argument("--directories", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--servers", type=int, default=4)
    parser.add_argument(
        "--latency-ms", type=float, default=30.0,
        help="modeled round trip of (b), in ms (default 30: a mirror on the same continent)",
    )
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--quick", action="store_true",
                        help="100 mirrors x 100 directories (overrides --mirrors/--directories)")
    args = parser.parse_args()
    if args.quick:
        args.mirrors, args.directories = 100, 100
    if args.latency_ms <= 0:
        parser.error("--latency-ms must be positive (phase (a) is the one without)")
    logging.basicConfig(level=logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="mm-bench-crawl-") as tmp:
        work = Path(tmp)
        layout = build_tree(work / "full" / "fedora" / "linux", args.directories, stale=False)
        build_tree(work / "stale" / "fedora" / "linux", args.directories, stale=True)
        loopback = crawl_phase(args, work, layout, 0.0)
        modeled = crawl_phase(args, work, layout, args.latency_ms)

    cores = os.cpu_count() or 1
    db = (args.db or "sqlite").split(":")[0]
    print(f"crawl bench: {args.mirrors} mirrors x {args.directories} directories, "
          f"concurrency {args.concurrency}, {args.servers} server processes, db {db}, "
          f"{cores} cores, load average {os.getloadavg()[0]:.1f}")
    report_loopback(args, loopback, cores)
    report_round_trip(args, modeled, cores)
    each = [(label, phase.per_request(phase.crawler_cpu)) for label, phase in
            (("a", loopback), ("b", modeled))]
    print(f"break-even round trip at concurrency {args.concurrency} (crawler CPU per request x "
          f"concurrency; above it the crawler keeps up with the mirrors' answers): "
          + ", ".join(f"{cpu * args.concurrency * 1e3:.1f} ms from ({label})" for label, cpu in each))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
