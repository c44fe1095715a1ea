"""Benchmark: ``stats import`` and ``netblocks update`` against their floors, in one run.

    flock /tmp/bench.lock .venv/bin/python bench/ops.py [--lines 10000000] [--prefixes 1000000]

* ``stats import`` of a generated list-server access log (gzip, ``--lines`` lines, realistic
  mix: random client addresses, ~250 countries, ~400 repositories, 6 arches, 2 days, 0.1%
  garbage) into a fresh SQLite database, next to ``zcat LOG | wc -l`` of the same file (the
  floor: decompressing and splitting lines).  Goal: >= 500k lines/s; memory flat (peak RSS
  within 50 MB of the RSS before the log is opened).
* ``netblocks update`` of a generated TABLE_DUMP_V2 RIB dump (gzip, ``--prefixes`` prefixes,
  80% IPv4 /24s and 20% IPv6 /48s, 3 peers per prefix, some bogons), written by
  :mod:`mirrormanager_ops.mrt_writer`'s format with this file's fast packer, next to
  ``zcat RIB > /dev/null``.  Goal: <= 20 s and <= 300 MB peak RSS.

Each measured command runs in a fresh child process (``mmcore.cli.main``); the inputs are cached
under ``bench-data/ops/`` (same seed, same bytes).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "bench-data" / "ops"
GOAL_LINES_PER_SECOND = 500_000
GOAL_FLAT_MB = 50
GOAL_NETBLOCKS_SECONDS = 20.0
GOAL_NETBLOCKS_MB = 300


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# ---------------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------------


def make_access_log(path: Path, lines: int, seed: int = 13) -> None:
    rng = random.Random(seed)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    countries = [a + b for a in letters for b in letters][:250] + ["N/A"]
    repos = ([f"fedora-{v}" for v in range(30, 43)] + [f"updates-released-f{v}" for v in
             range(30, 43)] + [f"epel-{v}" for v in range(7, 11)] + ["rawhide"])
    repos += [f"repo-{i}" for i in range(400 - len(repos))]
    arches = ["x86_64", "aarch64", "ppc64le", "s390x", "source", "i386"]
    days = ["2024-04-24", "2024-04-25"]
    chunk = 100_000
    with gzip.open(path, "wt", compresslevel=6) as out:
        for start in range(0, lines, chunk):
            count = min(chunk, lines - start)
            day = days[0] if start < lines // 2 else days[1]
            c = rng.choices(countries, k=count)
            r = rng.choices(repos, k=count)
            a = rng.choices(arches, weights=[60, 15, 5, 3, 2, 15], k=count)
            ip = [rng.getrandbits(32) for _ in range(count)]
            block = [
                f"IP: {x >> 24}.{(x >> 16) & 255}.{(x >> 8) & 255}.{x & 255}; DATE: {day}; "
                f"COUNTRY: {c[i]}; REPO: {r[i]}; ARCH: {a[i]}\n"
                for i, x in enumerate(ip)
            ]
            for i in range(0, count, 1000):  # 0.1% garbage
                block[i] = "GET /mirrorlist?repo=broken HTTP/1.1 garbage\n"
            out.write("".join(block))


def _attributes(origin: int, peer: int) -> bytes:
    path = bytes([2, 3]) + struct.pack("!III", 64500 + peer, 3356, origin)
    return bytes([0x40, 1, 1, 0]) + bytes([0x40, 2, len(path)]) + path


def make_rib(path: Path, prefixes: int, seed: int = 17) -> None:
    from mirrormanager_ops.mrt_writer import peer_index_table

    rng = random.Random(seed)
    v4 = prefixes * 4 // 5
    header = struct.Struct("!IHHI")
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(peer_index_table(peers=3))
        buffer = []
        for sequence in range(prefixes):
            origin = rng.randrange(1, 400_000)
            if sequence < v4:  # consecutive /24s from 1.0.0.0 (10/8 on the way: bogons)
                network = (0x010000 + sequence).to_bytes(3, "big")
                body, subtype = struct.pack("!IB", sequence, 24) + network, 2
            else:  # /48s under 2a00::/12
                n = sequence - v4
                network = (0x2A00_0000_0000 + (n << 4)).to_bytes(6, "big")
                body, subtype = struct.pack("!IB", sequence, 48) + network, 4
            body += struct.pack("!H", 3)
            for peer in range(3):
                attributes = _attributes(origin, peer)
                body += struct.pack("!HIH", peer, 1_714_000_000, len(attributes)) + attributes
            buffer.append(header.pack(1_714_000_000, 13, subtype, len(body)) + body)
            if len(buffer) >= 10_000:
                out.write(b"".join(buffer))
                buffer.clear()
        out.write(b"".join(buffer))


def cached(path: Path, build, *args) -> Path:  # type: ignore[no-untyped-def]
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        started = time.perf_counter()
        tmp = path.with_suffix(".tmp")
        build(tmp, *args)
        tmp.rename(path)
        print(f"  {time.perf_counter() - started:.1f}s, {path.stat().st_size / 1e6:.0f} MB",
              flush=True)
    return path


# ---------------------------------------------------------------------------------------------
# child: one measured command
# ---------------------------------------------------------------------------------------------


def child(argv: list[str], config: str) -> None:
    import io

    import mirrormanager_ops.netblocks_command  # noqa: F401 - imported before the baseline
    import mirrormanager_ops.stats  # noqa: F401
    import mirrormanager_pg_store.store  # noqa: F401
    from mmcore.cli import main

    out = io.StringIO()
    before = rss_mb()
    started = time.perf_counter()
    status = main(["--config", config, "-q", *argv], out=out, err=io.StringIO())
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"status": status, "seconds": seconds, "rss_before_mb": before,
                      "peak_mb": peak, "summary": out.getvalue().strip().splitlines()[-1:]}))


def measure(argv: list[str], config: Path) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(argv), "--config", str(config)],
        capture_output=True, text=True, check=False,
    )
    if result.returncode:
        sys.exit(f"child failed: {result.stderr}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if report["status"] != 0:
        sys.exit(f"{argv}: exit {report['status']}: {report['summary']}")
    return report


def shell_seconds(command: str) -> float:
    started = time.perf_counter()
    subprocess.run(["bash", "-c", command], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--prefixes", type=int, default=1_000_000)
    parser.add_argument("--child")
    parser.add_argument("--config")
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child), args.config)
        return

    DATA.mkdir(parents=True, exist_ok=True)
    log = cached(DATA / f"access-{args.lines}.log.gz", make_access_log, args.lines)
    rib = cached(DATA / f"rib-{args.prefixes}.mrt.gz", make_rib, args.prefixes)
    print(f"load average before: {open('/proc/loadavg').read().strip()}")

    with tempfile.TemporaryDirectory(prefix="bench-ops-") as tmp:
        work = Path(tmp)
        config = work / "mirrormanager.toml"
        config.write_text(f'[database]\nurl = "sqlite:///{work / "mm.db"}"\n\n'
                          f'[paths]\ndata_dir = "{work / "var"}"\n')
        measure(["db", "upgrade"], config)

        zcat = shell_seconds(f"zcat {log} | wc -l")
        stats = measure(["stats", "import", str(log)], config)
        rate = args.lines / stats["seconds"]
        growth = stats["peak_mb"] - stats["rss_before_mb"]
        print(f"\nstats import, {args.lines:,} lines ({log.stat().st_size / 1e6:.0f} MB gzip)")
        print(f"  zcat | wc -l          {zcat:7.2f} s  {args.lines / zcat:12,.0f} lines/s")
        print(f"  stats import          {stats['seconds']:7.2f} s  {rate:12,.0f} lines/s  "
              f"= {stats['seconds'] / zcat:.2f}x zcat")
        print(f"  memory: {stats['rss_before_mb']:.0f} MB before, peak {stats['peak_mb']:.0f} MB "
              f"(+{growth:.0f} MB)")
        print(f"  goal >= {GOAL_LINES_PER_SECOND:,} lines/s: "
              f"{'met' if rate >= GOAL_LINES_PER_SECOND else 'NOT met'}; "
              f"goal +<= {GOAL_FLAT_MB} MB: {'met' if growth <= GOAL_FLAT_MB else 'NOT met'}")
        print(f"  {stats['summary'][0] if stats['summary'] else ''}")

        output = work / "global_netblocks.txt"
        floor = shell_seconds(f"zcat {rib} > /dev/null")
        netblocks = measure(["netblocks", "update", str(output), "--rib", str(rib)], config)
        print(f"\nnetblocks update, {args.prefixes:,} prefixes "
              f"({rib.stat().st_size / 1e6:.0f} MB gzip)")
        print(f"  zcat > /dev/null      {floor:7.2f} s")
        print(f"  netblocks update      {netblocks['seconds']:7.2f} s  "
              f"= {netblocks['seconds'] / floor:.1f}x zcat  "
              f"{args.prefixes / netblocks['seconds']:,.0f} prefixes/s")
        print(f"  peak RSS {netblocks['peak_mb']:.0f} MB")
        print(f"  goal <= {GOAL_NETBLOCKS_SECONDS:.0f} s: "
              f"{'met' if netblocks['seconds'] <= GOAL_NETBLOCKS_SECONDS else 'NOT met'}; "
              f"goal <= {GOAL_NETBLOCKS_MB} MB: "
              f"{'met' if netblocks['peak_mb'] <= GOAL_NETBLOCKS_MB else 'NOT met'}")
        print(f"  {netblocks['summary'][0] if netblocks['summary'] else ''}")
    print(f"\nload average after: {open('/proc/loadavg').read().strip()}")


if __name__ == "__main__":
    main()
