"""Crawler benchmark: N simulated HTTP mirrors on loopback, D directories each, crawled at
concurrency C, twice in one run; prints the crawler's wall time, CPU time and peak RSS, and the
simulated servers' CPU time, so it shows whether the crawl is bound by the servers or by the
crawler.

    .venv/bin/python bench/crawl.py [--mirrors 500] [--directories 100] [--concurrency 100]
                                    [--servers 4] [--latency-ms 30]
                                    [--db sqlite|postgresql+psycopg://...]
    .venv/bin/python bench/crawl.py --quick    # 100 mirrors x 100 directories: under a minute
    .venv/bin/python bench/crawl.py --processes 2   # (a), (b) for 1 and 2 crawler processes,
                                                    # both through `mirrormanager crawl`

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
import re
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
    #: the crawler process's peak RSS so far (this phase and the ones before); through the CLI:
    #: the peak of the crawler processes' summed RSS (parent and children) during this phase
    peak_rss_mb: float
    #: ``None``: the engine in this process; N: ``mirrormanager crawl --processes N``
    processes: int | None = None
    #: through the CLI: the largest single crawler process's peak RSS
    peak_process_mb: float = 0.0

    @property
    def crawlers(self) -> int:
        return self.processes or 1

    @property
    def crawler_cpu(self) -> float:
        return self.crawler_user + self.crawler_sys

    @property
    def server_cpu(self) -> float:
        return sum(self.server_each)

    def per_request(self, seconds: float) -> float:
        return seconds / max(1, self.requests)


def crawl_phase(args, work: Path, layout, latency_ms: float, crawlers: int | None = None) -> Phase:
    """Start the servers (answers delayed by ``latency_ms``), fill a fresh database, crawl every
    mirror through the real engine (in this process; or with ``crawlers``, through
    ``mirrormanager crawl --processes N``, the command's own multi-process path), stop the
    servers; the figures of that crawl."""
    from mirrormanager_http.protocol import HttpProtocol
    from mirrormanager_pg_store.store import SqlStore as Store

    from mmcore.crawl.engine import CrawlOptions, crawl
    from mmcore.crawl.config import CrawlerConfig
    from mmcore.crawl.store import CrawlStatus

    def name_of(host: int) -> str:
        return f"m{host}"

    def server_of(host: int) -> int:
        return host % args.servers

    sites_by_server: list[dict] = [{} for _ in range(args.servers)]
    for host in range(1, args.mirrors + 1):
        root = work / ("stale" if host % 10 == 0 else "full")
        sites_by_server[server_of(host)][name_of(host)] = {"root": str(root)}
    tag = f"{latency_ms:g}ms" + (f"-p{crawlers}" if crawlers else "")
    cli_crawl = (lambda url, place: run_cli_crawl(args, url, place, crawlers)) \
        if crawlers else None
    processes: list[subprocess.Popen] = []
    try:
        processes, ports = start_servers(sites_by_server, work, latency_ms)
        url = args.db or f"sqlite:///{work / f'bench-{tag}.db'}"
        store = Store(url)
        store.upgrade()
        fill_database(store, layout, args.mirrors, lambda h: ports[server_of(h)], name_of)

        limits = CrawlerConfig(connect_timeout=10, operation_timeout=60, concurrency=args.concurrency)
        # host logs are written as by `mirrormanager crawl` (one file per host, fsynced)
        options = CrawlOptions(concurrency=args.concurrency, host_timeout=600, dry_run=False,
                               log_dir=work / f"logs-{tag}")
        servers = [psutil.Process(p.pid) for p in processes]
        server_before = [sum(s.cpu_times()[:2]) for s in servers]
        if cli_crawl is not None:
            store.close()
            start = time.perf_counter()
            counts, user, system, peak_rss, peak_process = cli_crawl(url, work / f"cli-{tag}")
            wall = time.perf_counter() - start
        else:
            usage_before = resource.getrusage(resource.RUSAGE_SELF)
            start = time.perf_counter()
            summary = trio.run(crawl, store, [HttpProtocol()], limits, options)
            wall = time.perf_counter() - start
            usage = resource.getrusage(resource.RUSAGE_SELF)
            store.close()
            counts = (summary.count(CrawlStatus.OK),
                      sum(r.up2date + r.not_up2date + r.unknown for r in summary.results),
                      sum(r.not_up2date for r in summary.results))
            # the crawler's CPU: all its threads (the trio loop, database and log writers)
            user = usage.ru_utime - usage_before.ru_utime
            system = usage.ru_stime - usage_before.ru_stime
            peak_rss = peak_process = usage.ru_maxrss / 1024
        server_each = tuple(sum(s.cpu_times()[:2]) - b for s, b in zip(servers, server_before))
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
        ok=counts[0],
        checked=counts[1],
        not_up2date=counts[2],
        requests=requests,
        wall=wall,
        crawler_user=user,
        crawler_sys=system,
        server_each=server_each,
        peak_rss_mb=peak_rss,
        processes=crawlers,
        peak_process_mb=peak_process,
    )


SUMMARY = re.compile(r"^crawled (\d+) hosts .*?: (\d+) ok", re.MULTILINE)
HOST_LINE = re.compile(r"^\s+\d+ \S+\s+ok\s+(\d+) up to date, (\d+) not, (\d+) unknown",
                       re.MULTILINE)


def run_cli_crawl(args, url: str, place: Path, processes: int) -> tuple[
        tuple[int, int, int], float, float, float, float]:
    """``mirrormanager crawl --processes N`` in a subprocess, as an operator runs it: returns
    (hosts ok, directories checked, not up to date), its CPU (user, sys: the command and its
    children, from RUSAGE_CHILDREN -- the mirror servers are still running, so not in it) and
    the peak of the crawler processes' summed RSS and of the largest one (sampled every 0.1 s)."""
    place.mkdir(parents=True, exist_ok=True)
    config = place / "mirrormanager.toml"
    config.write_text(
        f'[database]\nurl = "{url}"\n[paths]\ndata_dir = "{place / "var"}"\n'
        f'[crawler]\nconnect_timeout = 10.0\noperation_timeout = 60.0\n'
        f'log_dir = "{place / "logs"}"\n'
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(place / "stderr.txt", "w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "mmcore.cli", "--config", str(config), "-q", "crawl",
             "--processes", str(processes), "--concurrency", str(args.concurrency),
             "--timeout", "600"],
            stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT,
        )
        peak = peak_one = 0.0
        root = psutil.Process(process.pid)
        output: list[str] = []
        import threading

        reader = threading.Thread(target=lambda: output.append(process.stdout.read()))
        reader.start()
        while process.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
                rss = [p.memory_info().rss / 2**20 for p in tree]
                peak, peak_one = max(peak, sum(rss)), max(peak_one, *rss)
            except psutil.Error:
                pass
            time.sleep(0.1)
        reader.join(timeout=30)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = "".join(output)
    if process.returncode != 0 or not SUMMARY.search(out):
        raise RuntimeError(f"mirrormanager crawl failed ({process.returncode}): "
                           f"{(place / 'stderr.txt').read_text()[-2000:]}")
    ok = int(SUMMARY.search(out).group(2))
    rows = [tuple(map(int, m.groups())) for m in HOST_LINE.finditer(out)]
    counts = (ok, sum(sum(r) for r in rows), sum(r[1] for r in rows))
    return (counts, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime, peak,
            peak_one)


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
    # N crawler processes: their CPU spread over min(N, cores)
    crawler_floor = phase.crawler_cpu / min(cores, phase.crawlers)
    bound = "the servers" if server_floor >= crawler_floor else "the crawler"
    print(f"  wall vs. busy time: servers {server_floor:.1f}s (busiest process or all on "
          f"{min(cores, args.servers)} cores), crawler {crawler_floor:.1f}s"
          f"{f' (its CPU on {min(cores, phase.crawlers)} cores)' if phase.crawlers > 1 else ''}"
          f"; wall / servers "
          f"{phase.wall / max(server_floor, 1e-9):.1f}, wall / crawler "
          f"{phase.wall / max(crawler_floor, 1e-9):.1f}; bound by {bound}")
    print(f"  crawler peak RSS {phase.peak_rss_mb:.0f} MB{_largest(phase)} (goal <= 300 MB): "
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
    # the busy share of one crawler process (its loop is what must keep up)
    share = phase.crawler_cpu / phase.crawlers / phase.wall
    print(f"  floor the servers set: {floor:.1f}s = (requests {phase.requests} + handshakes "
          f"{args.mirrors}) x {phase.latency_ms:g} ms / concurrency {args.concurrency} "
          f"= {waits:.1f}s, + their CPU / concurrency {server_work:.2f}s "
          f"(their CPU on {min(cores, args.servers)} cores alone: {server_busy:.1f}s)")
    print(f"  wall {phase.wall:.1f}s = {phase.wall / floor:.2f} x the floor; crawler CPU "
          f"{phase.crawler_cpu:.1f}s = {share:.0%} of the wall"
          f"{' per process' if phase.crawlers > 1 else ''}")
    if phase.crawler_cpu / phase.crawlers < floor and share < 0.85:
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
                   f"({phase.crawler_cpu / phase.crawlers:.1f}s > {floor:.1f}s), busy "
                   f"{share:.0%} of the wall")
    print(f"  verdict: {verdict}")
    print(f"  crawler peak RSS so far {phase.peak_rss_mb:.0f} MB{_largest(phase)} (goal <= 300 MB): "
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
    parser.add_argument("--processes", type=int, default=1, metavar="N",
                        help="also crawl through `mirrormanager crawl --processes N`: (a) and (b) "
                             "for 1 process and for N, both through the command")
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
        if args.processes > 1:
            # both through the command's own path, so they compare like for like
            runs = {n: (crawl_phase(args, work, layout, 0.0, n),
                        crawl_phase(args, work, layout, args.latency_ms, n))
                    for n in (1, args.processes)}
        else:
            runs = {0: (crawl_phase(args, work, layout, 0.0),
                        crawl_phase(args, work, layout, args.latency_ms))}

    cores = os.cpu_count() or 1
    db = (args.db or "sqlite").split(":")[0]
    print(f"crawl bench: {args.mirrors} mirrors x {args.directories} directories, "
          f"concurrency {args.concurrency}, {args.servers} server processes, db {db}, "
          f"{cores} cores, load average {os.getloadavg()[0]:.1f}")
    for crawlers, (loopback, modeled) in runs.items():
        if crawlers:
            print(f"== {crawlers} crawler process{'es' if crawlers > 1 else ''}: "
                  f"`mirrormanager crawl --processes {crawlers} --concurrency "
                  f"{args.concurrency}` (CPU of the command and its children) ==")
        report_loopback(args, loopback, cores)
        report_round_trip(args, modeled, cores)
        print("  " + break_even(args, loopback, modeled))
    if len(runs) > 1:
        print(f"{'processes':>9} | {'(a) wall':>8} | {'(a) CPU/req':>11} | {'(b) wall':>8} | "
              f"{'(b) CPU/req':>11} | {'(b) busy/process':>16} | break-even RTT (a), (b)")
        for crawlers, (loopback, modeled) in runs.items():
            busy = modeled.crawler_cpu / crawlers / modeled.wall
            print(f"{crawlers:>9} | {loopback.wall:>7.1f}s | "
                  f"{loopback.per_request(loopback.crawler_cpu) * 1e6:>8.0f} us | "
                  f"{modeled.wall:>7.1f}s | {modeled.per_request(modeled.crawler_cpu) * 1e6:>8.0f} us"
                  f" | {busy:>16.0%} | {_rtt(args, loopback):.1f} ms, {_rtt(args, modeled):.1f} ms")
    sys.stdout.flush()


def _largest(phase: Phase) -> str:
    if not phase.processes:
        return ""
    return (f" (command and children summed; largest process {phase.peak_process_mb:.0f} MB)")


def _rtt(args, phase: Phase) -> float:
    """Break-even round trip in ms: each of the N processes crawls C/N mirrors at once, so it
    keeps up when its CPU per request x C/N fits in one round trip."""
    return phase.per_request(phase.crawler_cpu) * args.concurrency / phase.crawlers * 1e3


def break_even(args, loopback: Phase, modeled: Phase) -> str:
    per_process = (f" / {loopback.crawlers} processes" if loopback.crawlers > 1 else "")
    return (f"break-even round trip at concurrency {args.concurrency} (crawler CPU per request x "
            f"concurrency{per_process}; above it the crawler keeps up with the mirrors' answers): "
            f"{_rtt(args, loopback):.1f} ms from (a), {_rtt(args, modeled):.1f} ms from (b)")


if __name__ == "__main__":
    main()
