"""The plain ``/mirrorlist`` path with the client features compiled in against the same server
without them, in one run (``bench/mirrorlist.py --features-ab ROUNDS``).

"Without them" is the list server's code at a reference revision (default: the commit before
``exclude=``, ``explain=1``, Metalink 4, ``Link`` and ``Repr-Digest`` came), taken
with ``git archive`` into a temporary directory and put first on ``PYTHONPATH`` of its server
process (the editable install's finder comes after ``PYTHONPATH``).  Both servers run side by
side with the same cache, GeoIP database, netblocks and workers; wrk loads one at a time,
alternating which goes first each round, so drifts of the shared machine's load hit both; each
round also gives the CPU seconds of the loaded server's processes per answer, the steadier of
the two figures (req/s moves with how the kernel spreads wrk's connections over the workers).
The same is done without HTTP: child processes (one per tree and round) time ``ListService.answer``
over the same request mix.

With ``--instructions N`` it also counts, exactly, the instructions one ``/mirrorlist`` answer
takes (``ListService.answer`` and ``encode_answer``, the way the server calls them; callgrind,
:mod:`instructions`) over N requests of the mix after two warming passes over the same N, in
three arms: this tree as it serves by default (metrics on, the cache's address families), the
reference, and this tree with both off (metrics off, a copy of the cache without its
``HCUrlFamilyCache`` extension): the features' cost against the code before them and against
the same code with them switched off, free of the machine's noise.

Run as a script, this module is one of those children:
``python bench/mirrorlist_ab.py time WORKLOAD.json CACHE GEOIP NETBLOCKS COUNT`` (prints µs per
answer) or ``... count WORKLOAD.json CACHE GEOIP NETBLOCKS COUNT PASSES on|off`` (a measured
section for :func:`instructions.count_section`).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from instructions import available, count_sections, measured_section

HERE = Path(__file__).resolve()
REPO = HERE.parents[1]


def reference_tree(revision: str, work: Path) -> Path:
    """The list-server package at ``revision``, extracted under ``work``; the directory to put
    on ``PYTHONPATH``."""
    target = work / "reference"
    target.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision, "plugins/mirrorlist/mirrormanager_mirrorlist"],
        capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target / "plugins" / "mirrorlist"


#: the first module of the client features: the reference is the commit before it came
FIRST_FEATURE_FILE = "plugins/mirrorlist/mirrormanager_mirrorlist/exclusion.py"


def default_revision() -> str:
    """The parent of the commit that added :data:`FIRST_FEATURE_FILE` (main merged the
    features since, so ``merge-base HEAD main`` has them)."""
    added = subprocess.run(
        ["git", "-C", str(REPO), "log", "--diff-filter=A", "--format=%H", "--",
         FIRST_FEATURE_FILE], capture_output=True, text=True, check=True).stdout.split()
    return subprocess.run(["git", "-C", str(REPO), "rev-parse", f"{added[-1]}^"],
                          capture_output=True, text=True, check=True).stdout.strip()


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process and all its children (a server's workers)."""
    import psutil

    process = psutil.Process(pid)
    total = 0.0
    for p in (process, *process.children(recursive=True)):
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def environment(tree: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    return env


def requests_of(workload: dict[str, list[str]], count: int) -> list[Any]:
    """``count`` plain ``/mirrorlist`` requests of the mix, the same for every tree."""
    from mirrormanager_mirrorlist.httpmessages import Request

    rng = random.Random(5)
    return [Request("/mirrorlist", f"repo={rng.choice(workload['repos'])}&countme=1",
                    rng.choice(workload["clients"]), "127.0.0.1") for _ in range(count)]


def in_process_child(workload_file: Path, cache: Path, geoip: Path, netblocks: Path,
                     count: int) -> float:
    """µs per ``/mirrorlist`` answer of this process's ``ListService`` (after a warming pass)."""
    from mirrormanager_mirrorlist.app import ListService
    from mirrormanager_mirrorlist.inputs import InputPaths, Inputs

    inputs = Inputs(InputPaths(cache=cache, geoip=geoip, netblocks=netblocks), validate=False)
    inputs.load_all()
    service = ListService(inputs, rng=random.Random(5))
    requests = requests_of(json.loads(workload_file.read_text()), count)
    for request in requests:
        service.answer(request)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for request in requests:
            service.answer(request)
        best = min(best, time.perf_counter() - started)
    return best / count * 1e6


def count_child(workload_file: Path, cache: Path, geoip: Path, netblocks: Path, count: int,
                passes: int, metrics: bool) -> None:
    """The measured section: one pass over ``count`` requests, answered and encoded as the
    server does, after ``passes`` warming passes (every view and plan built)."""
    from mirrormanager_mirrorlist.app import ListService
    from mirrormanager_mirrorlist.httpmessages import encode_answer
    from mirrormanager_mirrorlist.inputs import InputPaths, Inputs

    inputs = Inputs(InputPaths(cache=cache, geoip=geoip, netblocks=netblocks), validate=False)
    inputs.load_all()
    service = ListService(inputs, rng=random.Random(5))
    answer = service.answer
    if metrics:
        import tempfile

        from mirrormanager_mirrorlist.config import MirrorlistConfig
        from mirrormanager_mirrorlist.metrics import WorkerMetrics

        counting = WorkerMetrics(MirrorlistConfig(cache_path=str(cache),
                                                  metrics_dir=tempfile.mkdtemp()),
                                 inputs, service)
        answer = counting.wrap(service.answer)
    requests = requests_of(json.loads(workload_file.read_text()), count)

    def one_pass() -> None:
        for request in requests:
            encode_answer(answer(request), keep_alive=True)

    for _ in range(passes):
        one_pass()
    measured_section(one_pass)


#: the top-level field of this project's address-family extension (proto/mirrormanager.proto)
FAMILY_FIELD = 100


def cache_without_families(cache: Path, out: Path) -> Path:
    """A copy of ``cache`` without its ``HCUrlFamilyCache`` records (what a writer without the
    extension gives: every host answers both families)."""
    from mirrormanager_mirrorlist import varint

    data = cache.read_bytes()
    kept = bytearray()
    pos, end = 0, len(data)
    while pos < end:
        start = pos
        tag, pos = varint.decode(data, pos, end)
        wire = tag & 7
        if wire == 0:
            _, pos = varint.decode(data, pos, end)
        elif wire == 2:
            length, pos = varint.decode(data, pos, end)
            pos += length
        else:
            pos += 8 if wire == 1 else 4
        if tag >> 3 != FAMILY_FIELD:
            kept += data[start:pos]
    out.write_bytes(kept)
    return out


def instruction_ab(*, tree: Path, revision: str, cache: Path, geoip: Path, netblocks: Path,
                   workload_file: Path, work: Path, count: int, passes: int = 2) -> None:
    """Print the instructions per answer of the three arms and their ratios."""
    missing = available()
    if missing is not None:
        print(f"\ninstructions: skipped ({missing})")
        return
    plain = cache_without_families(cache, work / "cache-without-families.proto")

    def job(source: Path | None, on_cache: Path, metrics: str) -> tuple[list[str], dict[str, str]]:
        return ([sys.executable, str(HERE), "count", str(workload_file), str(on_cache),
                 str(geoip), str(netblocks), str(count), str(passes), metrics],
                environment(source))

    print(f"\ninstructions per /mirrorlist answer (callgrind; {count} requests of the mix after "
          f"{passes} warming passes over them; exact, whatever the load)", flush=True)
    counts = count_sections({
        "features": job(None, cache, "on"),
        "reference": job(tree, cache, "off"),
        "off": job(None, plain, "off"),
    }, work)
    per = {name: total / count for name, total in counts.items()}
    for name, label in (("features", "this tree: metrics on, address families in the cache"),
                        ("reference", f"reference {revision[:12]}"),
                        ("off", "this tree: metrics off, a cache without families")):
        print(f"  {label:56} {per[name]:10,.0f}")
    for other, what in (("reference", "the reference"), ("off", "the features switched off")):
        ratio = per["features"] / per[other]
        print(f"  features / {what}: {ratio:.3f} (within 5%: "
              f"{'OK' if ratio <= 1.05 else 'MISSED'})")


def run_ab(
    *,
    rounds: int,
    revision: str | None,
    cache: Path,
    geoip: Path,
    netblocks: Path,
    workload: Any,
    work: Path,
    workers: int,
    duration: int,
    warmup: int,
    connections: int,
    threads: int,
    inprocess: int,
    instructions: int,
    start_server: Callable[[int, dict[str, str], str], subprocess.Popen[bytes]],
    run_wrk: Callable[..., dict[str, float]],
    script: Path,
    free_port: Callable[[], int],
    wait_port: Callable[[int], None],
) -> None:
    revision = revision or default_revision()
    tree = reference_tree(revision, work)
    workload_file = work / "workload.json"
    workload_file.write_text(json.dumps({"repos": workload.repos, "clients": workload.clients}))
    trees = {"features": None, "reference": tree}
    print(f"\nA/B: plain /mirrorlist, this tree ('features') against {revision[:12]} "
          f"('reference', without exclude/explain/Metalink 4/Link/Repr-Digest), {rounds} "
          f"alternating rounds", flush=True)
    if instructions:
        instruction_ab(tree=tree, revision=revision, cache=cache, geoip=geoip,
                       netblocks=netblocks, workload_file=workload_file, work=work,
                       count=instructions)
    if inprocess:
        times: dict[str, list[float]] = {name: [] for name in trees}
        for r in range(rounds):
            for name in (("features", "reference") if r % 2 == 0 else ("reference", "features")):
                out = subprocess.run(
                    [sys.executable, str(HERE), "time", str(workload_file), str(cache),
                     str(geoip), str(netblocks), str(inprocess)],
                    env=environment(trees[name]), capture_output=True, text=True, check=True)
                times[name].append(float(out.stdout.split()[-1]))
        f, ref = statistics.median(times["features"]), statistics.median(times["reference"])
        # the verdict on the fastest child of each tree: on a shared machine the other jobs
        # only ever add time, so the least disturbed run is the figure of the code
        print(f"in-process /mirrorlist ({inprocess} answers, best of 5 per child): features "
              + ", ".join(f"{t:.1f}" for t in times["features"]) + " µs; reference "
              + ", ".join(f"{t:.1f}" for t in times["reference"])
              + f" µs; time features/reference: medians {f / ref:.3f}, fastest "
              f"{min(times['features']) / min(times['reference']):.3f} (lower is better; "
              f"fastest within 5%: "
              f"{'OK' if min(times['features']) <= 1.05 * min(times['reference']) else 'MISSED'})")
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        for name, source in trees.items():
            port = free_port()
            server = start_server(port, environment(source), name)
            assert server.stdout is not None
            server.stdout.readline()
            wait_port(port)
            servers[name] = (server, port)
        for name, (_, port) in servers.items():
            kind = subprocess.run(
                ["curl", "-s", "-o", "/dev/null", "-w", "%{content_type}",
                 f"http://127.0.0.1:{port}/mirrorlist?repo={workload.repos[0]}&explain=1"],
                capture_output=True, text=True).stdout
            print(f"  {name} server: explain=1 answers {kind or '?'}")
            # warm up: each worker builds its views and plans on first use, and this tree
            # keeps about twice the reference's plans (one per client address family where
            # the directory has hosts of one family only)
            run_wrk(f"http://127.0.0.1:{port}/", warmup, connections, script, threads)
        results: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for r in range(rounds):
            for name in (("features", "reference") if r % 2 == 0 else ("reference", "features")):
                server, port = servers[name]
                before = cpu_seconds(server.pid)
                result = run_wrk(f"http://127.0.0.1:{port}/", duration, connections, script,
                                 threads)
                # CPU of the server's processes per answer: what the code costs, less
                # sensitive than req/s to how the kernel spreads wrk's connections and
                # the 2 cores between the workers and wrk
                result["cpu_us"] = ((cpu_seconds(server.pid) - before)
                                    / max(1.0, result["rps"] * duration) * 1e6)
                results[name].append(result)
        for name, runs in results.items():
            print(f"  {name:9} req/s " + ", ".join(f"{x['rps']:.0f}" for x in runs)
                  + "; p99 ms " + ", ".join(f"{x['p99']:.2f}" for x in runs)
                  + f"; non-2xx {sum(x['non2xx'] for x in runs):.0f}")
        med = {name: statistics.median(x["rps"] for x in runs) for name, runs in results.items()}
        ratio = med["features"] / med["reference"]
        per_round = [f["rps"] / r["rps"] for f, r in zip(results["features"], results["reference"])]
        best = (max(x["rps"] for x in results["features"])
                / max(x["rps"] for x in results["reference"]))
        cpu = {name: statistics.median(x["cpu_us"] for x in runs) for name, runs in results.items()}
        print(f"  server CPU per answer, median: features {cpu['features']:.1f} µs, reference "
              f"{cpu['reference']:.1f} µs: ratio {cpu['features'] / cpu['reference']:.3f} "
              f"(lower is better; within 5%: "
              f"{'OK' if cpu['features'] <= 1.05 * cpu['reference'] else 'MISSED'})")
        print(f"  median req/s features {med['features']:.0f}, reference {med['reference']:.0f}: "
              f"ratio {ratio:.3f}; per round " + ", ".join(f"{x:.3f}" for x in per_round)
              + f" (median {statistics.median(per_round):.3f}); best runs {best:.3f}; "
              f"median of the paired rounds within 5%: "
              f"{'OK' if statistics.median(per_round) >= 0.95 else 'MISSED'}")
    finally:
        for server, _ in servers.values():
            server.terminate()
        for server, _ in servers.values():
            server.wait(30)


if __name__ == "__main__":
    mode, workload_path, cache_path, geoip_path, netblocks_path, answers = sys.argv[1:7]
    if mode == "count":
        count_child(Path(workload_path), Path(cache_path), Path(geoip_path),
                    Path(netblocks_path), int(answers), int(sys.argv[7]), sys.argv[8] == "on")
    else:
        print(f"{in_process_child(Path(workload_path), Path(cache_path), Path(geoip_path), Path(netblocks_path), int(answers)):.3f}")
