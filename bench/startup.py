"""Start-up benchmark: how long a user waits before the command line or the list server answers.

    flock /tmp/bench.lock .venv/bin/python bench/startup.py [--runs 10] [--dir bench-data/mirrorlist]

Prints, in one run, the median wall time of ``python -c pass`` (the floor: the interpreter with
this environment's site packages), ``mirrormanager --help`` and ``mirrormanager plugins``, each
as a ratio to the floor, and the time from starting ``mirrormanager serve mirrorlist --workers 2``
to its first 200 answer on the fedora-scale cache (built once by bench/mirrorlist.py's
``fedora_cache``).  Goals: ``--help`` <= 0.4 s and <= 10 x ``python -c pass``; serve to first
answer <= 1.5 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from mirrorlist import cache_header, fedora_cache, free_port  # noqa: E402

MIRRORMANAGER = str(Path(sys.executable).parent / "mirrormanager")
#: as a user runs it: Python caches compiled modules (a shell with PYTHONDONTWRITEBYTECODE set
#: would make every start compile every module again)
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def median_seconds(argv: list[str], runs: int, cwd: Path) -> float:
    times = []
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   cwd=cwd, env=ENV)  # warm: bytecode written, files in the page cache
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       cwd=cwd, env=ENV)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def first_answer_seconds(cache: Path, repo_arch: tuple[str, str], cwd: Path) -> float:
    """From starting ``serve mirrorlist --workers 2`` to the first 200 answer."""
    port = free_port()
    repo, arch = repo_arch
    url = f"http://127.0.0.1:{port}/mirrorlist?repo={repo}&arch={arch}"
    started = time.perf_counter()
    server = subprocess.Popen(
        [MIRRORMANAGER, "-q", "serve", "mirrorlist", "--cache", str(cache), "--workers", "2",
         "--listen", f"127.0.0.1:{port}", "--log", ""],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd, env=ENV,
    )
    try:
        deadline = started + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    if answer.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if server.poll() is not None:
                raise RuntimeError(f"serve exited: {server.stderr.read().decode()}")
            if time.perf_counter() > deadline:
                raise RuntimeError("no answer within 60 s")
            time.sleep(0.01)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--serve-runs", type=int, default=5)
    parser.add_argument("--dir", default="bench-data/mirrorlist")
    args = parser.parse_args()
    data = Path(args.dir)
    data.mkdir(parents=True, exist_ok=True)
    cache = fedora_cache(data).resolve()
    header = cache_header(cache)
    pair = next(iter(sorted(
        tuple(entry.key.split("+", 1)) for entry in header.RepoArchToDirectoryName
        if entry.key.startswith("fedora-")
    )))
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)  # no mirrormanager.toml here: defaults
        floor = median_seconds([sys.executable, "-c", "pass"], args.runs, cwd)
        helps = median_seconds([MIRRORMANAGER, "--help"], args.runs, cwd)
        plugins = median_seconds([MIRRORMANAGER, "plugins"], args.runs, cwd)
        first_answer_seconds(cache, pair, cwd)  # warm
        serves = [first_answer_seconds(cache, pair, cwd) for _ in range(args.serve_runs)]
    serve = statistics.median(serves)
    load = open("/proc/loadavg").read().split()[:3]
    print(f"load average {' '.join(load)}; {os.cpu_count()} cores; cache {cache} "
          f"({cache.stat().st_size / 1e6:.0f} MB)")
    print(f"python -c pass               {floor * 1000:7.0f} ms")
    print(f"mirrormanager --help         {helps * 1000:7.0f} ms  = {helps / floor:4.1f} x python")
    print(f"mirrormanager plugins        {plugins * 1000:7.0f} ms  = {plugins / floor:4.1f} x python")
    print(f"serve mirrorlist --workers 2 {serve * 1000:7.0f} ms to the first answer "
          f"(median of {len(serves)}: {', '.join(f'{s:.2f}' for s in serves)} s; "
          f"repo={pair[0]} arch={pair[1]})")
    goals = [
        ("--help <= 0.4 s", helps <= 0.4),
        ("--help <= 10 x python -c pass", helps <= 10 * floor),
        ("serve to first answer <= 1.5 s", serve <= 1.5),
    ]
    for name, met in goals:
        print(f"goal {name:34} {'OK' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
