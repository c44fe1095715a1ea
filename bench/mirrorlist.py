"""List-server benchmark: /mirrorlist and /metalink under wrk, next to nginx serving a static file.

    .venv/bin/python bench/mirrorlist.py [--cache FILE | --synthetic] [--dir bench-data/mirrorlist]
        [--duration 10] [--connections 50] [--workers 2] [--wrk-threads 2] [--inprocess N]
        [--metrics on|off] [--features-ab ROUNDS [--reference REV] [--instructions N]]

The cache is the fedora-scale one by default: ``mirrormanager dataset --scale fedora`` into an
SQLite file, then ``mirrormanager cache write``, both done once into ``--dir`` (several minutes
the first time; ``--cache FILE`` uses an existing cache instead).  ``--synthetic`` builds the
older synthetic cache from protobuf messages instead (400 public + 20 private hosts, 150-300
hosts per repository: larger answers than Fedora's).

From the cache it derives the workload: the 1,000 most widely mirrored repo/arch pairs whose
repodata has a repomd.xml (so /metalink answers 200 too), half of the requests on the 100 most
mirrored ones (current releases and updates, where real traffic goes), half spread over all; client addresses in several countries and tiers
(GeoIP country, continent only, global fallback, host netblocks, ASN; one GeoIP client in five
over IPv6) sent as X-Forwarded-For
by a wrk Lua script, a GeoIP database for those addresses and a global_netblocks.txt of 300,000
random routes plus routes for some of the cache's ASNs.  Prints req/s, p50/p99, the ratio to
nginx, cache load time and the RSS of all workers; ``--inprocess N`` also times N answers of
``ListService.answer`` in this process (no HTTP) over the same request mix.

``--features-ab ROUNDS`` runs only the comparison of ``bench/mirrorlist_ab.py``: the plain
``/mirrorlist`` path of this tree against the list server at ``--reference`` (default: the
commit before the client features) side by side, alternating, with wrk and (``--inprocess N``) without HTTP;
``--instructions N`` adds the exact instruction counts of an answer (callgrind), against the
reference and against this tree with metrics and address families off.
"""

from __future__ import annotations

import argparse
import mmap
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attrs
import netaddr
import psutil
from mmdb_writer import MMDBWriter

from mirrormanager_devtools.loopback import free_port
from mirrormanager_mirrorlist import mirrormanager_pb2 as pb
from mirrormanager_mirrorlist import varint
from mirrormanager_mirrorlist.app import Choice, ListService
from mirrormanager_mirrorlist.cachefile import walk_top_level
from mirrormanager_mirrorlist.cacheindex import load_cache
from mirrormanager_mirrorlist.httpmessages import Answer, Request
from mirrormanager_mirrorlist.inputs import InputPaths, Inputs
from mirrormanager_mirrorlist.metrics import WorkerMetrics
from mirrormanager_mirrorlist.prefixes import AsnTable
from mirrormanager_mirrorlist.config import MirrorlistConfig
from mmcore.atomic import write_atomically
from mmcore.geo import read_country_continent

COUNTRY_HOSTS = {
    "US": 80, "DE": 50, "CN": 20, "FR": 20, "GB": 15, "JP": 15, "NL": 12, "SE": 10, "BR": 10,
    "AU": 10, "CA": 10, "CZ": 8, "IT": 8, "ES": 8, "PL": 8, "RU": 8, "CH": 6, "AT": 6, "KR": 6,
    "TW": 6, "IN": 6, "SG": 5, "HK": 5, "FI": 5, "DK": 5, "NO": 5, "BE": 5, "PT": 4, "GR": 4,
    "RO": 4, "HU": 4, "UA": 4, "TR": 4, "ZA": 3, "AR": 3, "CL": 3, "MX": 3, "NZ": 3, "IL": 2,
    "ID": 2,
}
#: client countries (GeoIP) and how often they ask; KE/EG have no hosts: continent and global
CLIENTS = {"US": 30, "DE": 20, "FR": 8, "JP": 8, "BR": 6, "AU": 5, "ZA": 5, "KE": 4, "EG": 4,
           "IN": 5, "CN": 5}
ARCHES = ("x86_64", "aarch64", "ppc64le", "s390x")


def build_cache(path: Path, directories: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    ml = pb.MirrorList(Time=int(time.time()))
    hosts: list[tuple[int, str]] = []
    next_id = 1
    for country, count in COUNTRY_HOSTS.items():
        for _ in range(count):
            hosts.append((next_id, country))
            next_id += 1
    private = [(next_id + i, "US") for i in range(20)]
    url_ids: dict[int, list[int]] = {}
    url_id = 1
    for host, country in hosts + private:
        ids = []
        name = f"mirror{host}.{country.lower()}.example.org"
        schemes = ["https", "http", "rsync"] if host % 3 else ["http", "rsync"]
        for scheme in schemes:
            ml.HCUrlCache.add(key=url_id, value=f"{scheme}://{name}/pub/fedora")
            ids.append(url_id)
            url_id += 1
        url_ids[host] = ids
        ml.HostCountryCache.add(key=host, value=country)
        ml.HostBandwidthCache.add(key=host, value=rng.randint(1, 10000))
    for i, (host, _) in enumerate(private):
        ml.HostNetblockCache.add(key=f"10.{i}.0.0/16", value=[host])
    for i, (host, _) in enumerate(hosts[:10]):
        ml.HostAsnCache.add(key=64500 + i, value=[host])
    for host, _ in hosts[100:105]:
        ml.HostCountryAllowedCache.add(key=host, value=["DE", "AT"])
    public_ids = [h for h, _ in hosts]
    country_of = dict(hosts + private)

    def entry(name: str, members: list[int]) -> pb.MirrorListCacheType:
        e = pb.MirrorListCacheType(directory=name, Subpath=name.removeprefix("pub/fedora/"))
        by_country: dict[str, list[int]] = {}
        for host in members:
            e.ByHostId.add(key=host, value=url_ids[host])
            if host in public_set:
                e.Global.append(host)
                by_country.setdefault(country_of[host], []).append(host)
        for country, ids in by_country.items():
            e.ByCountry.add(key=country, value=ids)
        return e

    public_set = set(public_ids)
    private_ids = [h for h, _ in private]
    repos = []
    for version in range(1, 251):
        for arch in ARCHES:
            repos.append((f"fedora-{version}", arch))
    pairs = 0
    with_details = []
    chunks: list[bytes] = []
    for prefix, arch in repos:
        directory = f"pub/fedora/linux/releases/{prefix[7:]}/Everything/{arch}/os"
        members = rng.sample(public_ids, rng.randint(150, 300)) + rng.sample(private_ids, 5)
        chunks.append(_field16(entry(directory, members)))
        chunks.append(_field16(entry(directory + "/repodata", members)))
        ml.RepoArchToDirectoryName.add(key=f"{prefix}+{arch}", value=directory)
        with_details.append(directory + "/repodata")
        pairs += 1
    for i in range(directories - 2 * pairs):
        directory = f"pub/archive/fedora/linux/updates/{i % 40}/Everything/x86_64/Packages/{i}"
        chunks.append(_field16(entry(directory, rng.sample(public_ids, rng.randint(5, 40)))))
    for directory in with_details:
        d = ml.FileDetailsCache.add(directory=directory)
        files = d.FileDetailsCacheFiles.add(filename="repomd.xml")
        for age in range(3):
            files.FileDetails.add(
                TimeStamp=1_714_000_000 - age * 86400, Size=4000 + age,
                MD5=f"{rng.getrandbits(128):032x}", SHA1=f"{rng.getrandbits(160):040x}",
                SHA256=f"{rng.getrandbits(256):064x}", SHA512=f"{rng.getrandbits(512):0128x}",
            )
    write_atomically(path, ml.SerializeToString() + b"".join(chunks))


def _field16(message: pb.MirrorListCacheType) -> bytes:
    data = message.SerializeToString()
    return b"\x82\x01" + varint.encode(len(data)) + data


@attrs.frozen
class Workload:
    """What the load generator asks: ``repo=…&arch=…`` pairs and client addresses."""

    #: with repetitions: how often a pair appears is how often it is asked for
    repos: list[str]
    clients: list[str]
    #: one client address per GeoIP country, for the sample answers
    samples: dict[str, str]


def cache_header(cache: Path) -> pb.MirrorList:
    """The cache's small top-level tables (everything but the per-directory entries)."""
    with cache.open("rb") as handle:
        buf = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        return pb.MirrorList.FromString(walk_top_level(buf).small)
    finally:
        buf.close()


def build_workload(cache: Path, data: Path, routes: int, seed: int = 3) -> tuple[Workload, Path, Path]:
    """Requests, a GeoIP database and a global_netblocks.txt fitted to this cache."""
    rng = random.Random(seed)
    header = cache_header(cache)
    index = load_cache(cache, continents_csv=read_country_continent(None, strict=False), validate=False)
    # the 1,000 most widely mirrored pairs (ties by name); half of the requests go to the 100
    # most mirrored (current releases and updates: where real traffic goes), half spread over all
    pairs = []
    for key, directory in sorted(index.repo_arch_dirs.items()):
        parts = key.split("+")
        repodata = directory if directory.endswith("/repodata") else directory + "/repodata"
        view = index.view(repodata) if index.has_directory(directory) else None
        if len(parts) == 2 and view is not None and "repomd.xml" in index.file_details(view):
            mirrored = len(index.view(directory).global_ids)  # type: ignore[union-attr]
            pairs.append((-mirrored, f"{parts[0]}&arch={parts[1]}"))
    chosen = [pair for _, pair in sorted(pairs)[:1000]]
    repos = chosen + chosen[:100] * 9
    # GeoIP: one /16 per client country inside 100.64.0.0/10
    writer = MMDBWriter(ip_version=6, database_type="GeoIP2-Country", languages=["en"],
                        description="bench", ipv4_compatible=True)
    prefixes = {}
    for i, country in enumerate(CLIENTS):
        prefix = f"100.{64 + i}"
        writer.insert_network(netaddr.IPSet([f"{prefix}.0.0/16"]),
                              {"country": {"iso_code": country}})
        writer.insert_network(netaddr.IPSet([f"2001:db8:{i:x}::/48"]),
                              {"country": {"iso_code": country}})
        prefixes[country] = prefix
    geoip = data / "country.mmdb"
    writer.to_db_file(str(geoip))
    clients = []
    for i, (country, weight) in enumerate(CLIENTS.items()):
        for _ in range(weight * 4):
            clients.append(f"{prefixes[country]}.{rng.randint(0, 255)}.{rng.randint(1, 254)}")
        # one client in five over IPv6 (the cache's address families order their answers)
        for _ in range(weight):
            clients.append(f"2001:db8:{i:x}::{rng.randint(1, 0xffff):x}")
    # host netblocks: addresses inside 20 IPv4 netblocks of the cache
    v4_blocks = [e.key for e in header.HostNetblockCache if "." in e.key and "/" in e.key]
    for block in rng.sample(v4_blocks, min(20, len(v4_blocks))):
        network = netaddr.IPNetwork(block)
        clients.append(str(network[rng.randrange(network.size)]))
    # ASN: 10 of the cache's ASNs get routes 198.18+i.0.0/16
    asns = [e.key for e in header.HostAsnCache]
    asn_routes = {f"198.{18 + i}.0.0/16": asn
                  for i, asn in enumerate(rng.sample(asns, min(10, len(asns))))}
    for route in asn_routes:
        clients += [f"{route.split('.0.0/')[0]}.3.{rng.randint(1, 254)}" for _ in range(2)]
    netblocks = data / f"global_netblocks-{routes}-{cache.stem}.txt"
    build_netblocks(netblocks, routes, asn_routes)
    samples = {country: f"{prefix}.1.1" for country, prefix in prefixes.items()}
    return Workload(repos, clients, samples), geoip, netblocks


def build_netblocks(path: Path, routes: int, asn_routes: dict[str, int], seed: int = 2) -> None:
    rng = random.Random(seed)
    with path.open("w") as out:
        for route, asn in asn_routes.items():
            out.write(f"{route} {asn}\n")
        for _ in range(routes):
            length = rng.choice((16, 17, 18, 19, 20, 21, 22, 23, 24, 24, 24))
            address = rng.getrandbits(32) & (0xFFFFFFFF << (32 - length))
            if address >> 24 in (10, 100, 198, 127, 0):
                continue
            out.write(f"{socket.inet_ntoa(address.to_bytes(4, 'big'))}/{length} "
                      f"{rng.randint(1, 400000)}\n")


def write_lua(path: Path, endpoint: str, workload: Workload) -> None:
    lua = [
        "math.randomseed(os.time())",
        "local repos = {" + ",".join(f'"{r}"' for r in workload.repos) + "}",
        "local clients = {" + ",".join(f'"{c}"' for c in workload.clients) + "}",
        "request = function()",
        "  local r = repos[math.random(#repos)]",
        "  local c = clients[math.random(#clients)]",
        f'  return wrk.format("GET", "/{endpoint}?repo=" .. r .. "&countme=1",'
        ' {["X-Forwarded-For"] = c})',
        "end",
    ]
    path.write_text("\n".join(lua) + "\n")


def in_process(cache: Path, geoip: Path, netblocks: Path, workload: Workload,
               count: int) -> None:
    """Time ``ListService.answer`` (no HTTP) over the wrk request mix, after one warming pass,
    plain and with the metrics counting (``metrics.py``) around it: rounds of each in turn,
    the medians compared."""
    inputs = Inputs(InputPaths(cache=cache, geoip=geoip, netblocks=netblocks), validate=False)
    inputs.load_all()
    service = ListService(inputs)
    metrics_dir = Path(tempfile.mkdtemp(prefix="mlbench-metrics-"))
    metrics = WorkerMetrics(MirrorlistConfig(cache_path=str(cache), metrics_dir=str(metrics_dir)),
                            inputs, service)
    handlers = {"plain": service.answer, "metrics": metrics.wrap(service.answer)}
    rng = random.Random(5)
    for endpoint in ("mirrorlist", "metalink"):
        requests = [Request(f"/{endpoint}", f"repo={rng.choice(workload.repos)}&countme=1",
                            rng.choice(workload.clients), "127.0.0.1") for _ in range(count)]
        for request in requests:
            service.answer(request)
        rounds: dict[str, list[float]] = {name: [] for name in handlers}
        sizes = 0
        for _ in range(5):
            for name, handler in handlers.items():
                started = time.perf_counter()
                for request in requests:
                    sizes += len(handler(request).body)
                rounds[name].append((time.perf_counter() - started) / count)
        plain, counted = (sorted(rounds[name])[2] for name in handlers)
        print(f"in-process /{endpoint}: {plain * 1e6:.1f} µs an answer, {counted * 1e6:.1f} µs "
              f"with metrics counting (ratio {counted / plain:.3f}, +{(counted - plain) * 1e6:.2f}"
              f" µs; medians of 5 rounds of {count} spread requests, mean body "
              f"{sizes / count / 10 / 1024:.1f} KB)")
    # the counting alone, around an answer that costs nothing (its selection set as the real
    # service sets it): less noisy than the difference above on a busy machine
    choice = Choice("", (), [f"http://h{i}.example/pub" for i in range(40)], "geoip")
    constant = Answer(200, "text/plain", "x")

    def trivial(request: Request) -> Answer:
        service.last_choice = choice
        return constant

    counted = metrics.wrap(trivial)
    request = Request("/mirrorlist", "repo=x", None, "127.0.0.1")
    costs: dict[str, list[float]] = {"plain": [], "metrics": []}
    for _ in range(5):
        for name, handler in (("plain", trivial), ("metrics", counted)):
            started = time.perf_counter()
            for _ in range(count):
                handler(request)
            costs[name].append((time.perf_counter() - started) / count)
    plain, with_metrics = (sorted(costs[name])[2] for name in costs)
    print(f"metrics counting alone: {(with_metrics - plain) * 1e6:.2f} µs a request")
    metrics.close()
    shutil.rmtree(metrics_dir)


def server_config(work: Path, metrics: str, gc_freeze_interval: float | None = None) -> Path:
    """The server's configuration file: ``[mirrorlist] metrics`` on or off, and
    ``gc_freeze_interval`` when given (else the server's default)."""
    # not ./mirrormanager.toml: the A/B's reference server would read it from its cwd
    path = work / f"server-metrics-{metrics}-gc-{gc_freeze_interval}.toml"
    text = f"[mirrorlist]\nmetrics = {'true' if metrics == 'on' else 'false'}\n"
    if gc_freeze_interval is not None:
        text += f"gc_freeze_interval = {gc_freeze_interval}\n"
    path.write_text(text)
    return path


def server_command(cache: Path, port: int, workers: int, geoip: Path, netblocks: Path,
                   work: Path, config: Path | None = None) -> list[str]:
    """``serve mirrorlist`` of this tree; ``config``: a configuration file (the A/B runs take
    none: the reference tree may not know its keys)."""
    exe = Path(sys.executable).parent / "mirrormanager"
    chosen = ["--config", str(config)] if config is not None else []
    return [str(exe), "-q", *chosen, "serve", "mirrorlist", "--cache", str(cache), "--listen",
            f"127.0.0.1:{port}", "--workers", str(workers), "--geoip", str(geoip),
            "--netblocks", str(netblocks), "--log", str(work / f"access-{port}.log")]


def wait_port(port: int, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


def run_wrk(url: str, duration: int, connections: int, script: Path | None,
            threads: int = 2) -> dict[str, float]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": rps, "p50": latency("50"), "p99": latency("99"),
        "non2xx": float(errors.group(1)) if errors else 0.0,
        "socket_errors": 1.0 if socket_errors else 0.0,
    }


def start_nginx(root: Path, port: int) -> subprocess.Popen[bytes]:
    (root / "www").mkdir(parents=True, exist_ok=True)
    (root / "www" / "static.txt").write_bytes(b"x" * 4800)
    (root / "nginx.conf").write_text(f"""
user root;
worker_processes 2;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log;
daemon off;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {root}/tmp; proxy_temp_path {root}/tmp; fastcgi_temp_path {root}/tmp;
  uwsgi_temp_path {root}/tmp; scgi_temp_path {root}/tmp;
  server {{ listen 127.0.0.1:{port}; root {root}/www; }}
}}
""")
    (root / "tmp").mkdir(exist_ok=True)
    return subprocess.Popen(["nginx", "-c", str(root / "nginx.conf")])


def tree_rss(process: psutil.Process) -> dict[str, tuple[float, float]]:
    """RSS and PSS (MB) of the supervisor process and of its workers together."""
    sums = {"supervisor": [0.0, 0.0], "workers": [0.0, 0.0]}
    for p in [process, *process.children(recursive=True)]:
        try:
            info = p.memory_full_info()
        except psutil.Error:
            continue
        part = sums["supervisor" if p.pid == process.pid else "workers"]
        part[0] += info.rss / 2**20
        part[1] += getattr(info, "pss", info.rss) / 2**20
    return {name: (rss, pss) for name, (rss, pss) in sums.items()}


def fedora_cache(data: Path, seed: int = 1) -> Path:
    """``bench-data/…/fedora-<seed>.proto``: the fedora-scale dataset's cache, built once."""
    cache = data / f"fedora-{seed}.proto"
    if cache.exists():
        return cache
    database = data / f"fedora-{seed}.db"
    exe = str(Path(sys.executable).parent / "mirrormanager")
    config = data / "fedora.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{database}"\n')
    base = [exe, "--config", str(config)]
    started = time.monotonic()
    if database.exists():
        database.unlink()  # a half-loaded database from an interrupted run
    print(f"loading the fedora-scale dataset into {database} (several minutes) ...", flush=True)
    subprocess.run(base + ["db", "upgrade"], check=True)
    subprocess.run(base + ["dataset", "--scale", "fedora", "--seed", str(seed)], check=True)
    print(f"writing {cache} ...", flush=True)
    subprocess.run(base + ["cache", "write", "-o", str(cache)], check=True)
    database.unlink()  # 0.8 GB, only needed to write the cache
    config.unlink()
    print(f"  built in {time.monotonic() - started:.0f} s", flush=True)
    return cache


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="bench-data/mirrorlist")
    parser.add_argument("--cache", type=Path, help="an existing cache (default: fedora-scale)")
    parser.add_argument("--synthetic", action="store_true",
                        help="the synthetic cache built from messages (older figures)")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=6,
                        help="seconds of load before each measured run")
    parser.add_argument("--directories", type=int, default=100_000,
                        help="directories of the synthetic cache")
    parser.add_argument("--routes", type=int, default=300_000)
    parser.add_argument("--inprocess", type=int, default=0, metavar="N",
                        help="also time N answers without HTTP")
    parser.add_argument("--metrics", choices=("on", "off"), default="on",
                        help="the server's /metrics counting ([mirrorlist] metrics)")
    parser.add_argument("--gc-freeze-interval", type=float, default=None,
                        help="the server's [mirrorlist] gc_freeze_interval (default: its own)")
    parser.add_argument("--only", choices=("mirrorlist", "metalink"),
                        help="run wrk for one endpoint only (and nginx)")
    parser.add_argument("--features-ab", type=int, default=0, metavar="ROUNDS",
                        help="only compare the plain /mirrorlist path with --reference's")
    parser.add_argument("--instructions", type=int, default=0, metavar="N",
                        help="with --features-ab: count the instructions of an answer over N "
                        "requests (callgrind), this tree against the reference and against "
                        "itself with metrics and address families off")
    parser.add_argument("--reference", help="git revision of the reference list server "
                        "(default: the commit before the client features)")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (apt-get install -y {tool})", file=sys.stderr)
            return 2
    data = Path(args.dir).resolve()
    data.mkdir(parents=True, exist_ok=True)
    if args.cache is not None:
        cache = args.cache.resolve()
    elif args.synthetic:
        cache = data / f"mirrorlist_cache-{args.directories}.proto"
        if not cache.exists():
            started = time.monotonic()
            print(f"building synthetic cache {cache} ...", flush=True)
            build_cache(cache, args.directories)
            print(f"  built in {time.monotonic() - started:.1f} s", flush=True)
    else:
        cache = fedora_cache(data)
    workload, geoip, netblocks = build_workload(cache, data, args.routes)
    size_mb = cache.stat().st_size / 2**20

    # load time and memory of one load, in this process
    before = psutil.Process().memory_info().rss
    inputs = Inputs(InputPaths(cache=cache), validate=True)
    started = time.monotonic()
    inputs.load_all()  # answering from here on; the full check follows (in a thread when serving)
    load_answering = time.monotonic() - started
    inputs.check_first_generation()
    load_validated = time.monotonic() - started
    after = psutil.Process().memory_info().rss
    quick = Inputs(InputPaths(cache=cache), validate=False)
    started = time.monotonic()
    quick.load_all()
    load_quick = time.monotonic() - started
    assert inputs.index is not None
    print(f"cache {cache.name}: {size_mb:.1f} MB, {inputs.index.directory_count} directories, "
          f"{len(inputs.index.host_bandwidth)} hosts; load {load_validated:.2f} s validated, "
          f"answering after {load_answering:.2f} s "
          f"(private copy: {inputs.index.storage}), "
          f"{load_quick:.2f} s unvalidated; RSS +{(after - before) / 2**20:.0f} MB")
    started = time.monotonic()
    AsnTable.from_file(netblocks)
    print(f"global netblocks: {args.routes} routes loaded in {time.monotonic() - started:.2f} s")
    del inputs, quick
    print(f"workload: {len(set(workload.repos))} repo/arch pairs, {len(workload.clients)} client "
          f"addresses in {len(CLIENTS)} GeoIP countries + host netblocks + ASNs", flush=True)
    if args.features_ab:
        return features_ab(args, cache, geoip, netblocks, workload)
    if args.inprocess:
        in_process(cache, geoip, netblocks, workload, args.inprocess)

    work = Path(tempfile.mkdtemp(prefix="mlbench-"))
    endpoints = (args.only,) if args.only else ("mirrorlist", "metalink")
    scripts = {}
    for endpoint in endpoints:
        scripts[endpoint] = work / f"{endpoint}.lua"
        write_lua(scripts[endpoint], endpoint, workload)
    port, nginx_port = free_port(), free_port()
    started = time.monotonic()
    server = subprocess.Popen(server_command(cache, port, args.workers, geoip, netblocks, work,
                                             server_config(work, args.metrics,
                                                           args.gc_freeze_interval)),
                              stdout=subprocess.PIPE, cwd=work)
    nginx = start_nginx(work / "nginx", nginx_port)
    try:
        assert server.stdout is not None
        server.stdout.readline()  # "Listening on ..." once every worker loaded the cache
        ready = time.monotonic() - started
        wait_port(nginx_port)
        wait_port(port)
        base = f"http://127.0.0.1:{port}"
        results = {}
        threads = args.wrk_threads
        workers = psutil.Process(server.pid).children(recursive=True)
        cpu_before = [sum(w.cpu_times()[:2]) for w in workers]
        results["nginx static 4.8 KB"] = run_wrk(
            f"http://127.0.0.1:{nginx_port}/static.txt", args.duration, args.connections, None,
            threads)
        for endpoint in endpoints:
            # warm up: views and (directory, country) plans are built on first use
            run_wrk(base + "/", args.warmup, args.connections, scripts[endpoint], threads)
            results[f"/{endpoint}"] = run_wrk(
                base + "/", args.duration, args.connections, scripts[endpoint], threads)
        memory = tree_rss(psutil.Process(server.pid))
        cpu = [sum(w.cpu_times()[:2]) - before for w, before in zip(workers, cpu_before)]
        nginx_rps = results["nginx static 4.8 KB"]["rps"]
        print(f"\nwrk -t{threads} -c{args.connections} -d{args.duration}s, {args.workers} workers, "
              f"metrics {args.metrics}, "
              f"{os.cpu_count()} CPUs (wrk shares them)")
        print(f"{'target':24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs nginx':>9} {'non-2xx':>8}")
        for name, r in results.items():
            print(f"{name:24} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} "
                  f"{r['rps'] / nginx_rps:9.2f} {r['non2xx']:8.0f}")
        workers_rss, workers_pss = memory["workers"]
        supervisor_rss, _ = memory["supervisor"]
        print(f"\nserver ready (all workers loaded) after {ready:.2f} s; RSS of the workers "
              f"{workers_rss:.0f} MB (PSS {workers_pss:.0f} MB), with the supervisor "
              f"{workers_rss + supervisor_rss:.0f} MB; CPU seconds per worker during the runs: "
              + ", ".join(f"{c:.1f}" for c in cpu))
        if "/mirrorlist" in results:
            ml = results["/mirrorlist"]

            def verdict(ok: bool) -> str:
                return "OK" if ok else "MISSED"

            print("goals (issue 6):")
            print(f"  /mirrorlist {ml['rps']:.0f} req/s >= 20000: {verdict(ml['rps'] >= 20000)}; "
                  f"{ml['rps'] / nginx_rps:.2f} of nginx >= 0.25: "
                  f"{verdict(ml['rps'] >= 0.25 * nginx_rps)}; p99 {ml['p99']:.2f} ms <= 10: "
                  f"{verdict(ml['p99'] <= 10)}")
            print(f"  cache load {load_validated:.2f} s <= 2: {verdict(load_validated <= 2)}; "
                  f"workers {workers_rss:.0f} MB <= 500: {verdict(workers_rss <= 500)}")
        repo = workload.repos[0]
        for country in ("US", "DE", "KE"):
            body = subprocess.run(
                ["curl", "-s", "-H", f"X-Forwarded-For: {workload.samples[country]}",
                 f"{base}/mirrorlist?repo={repo}"], capture_output=True, text=True).stdout
            print(f"sample answer ({country} client, repo={repo}): {len(body)} bytes, "
                  f"{body.count(chr(10)) - 1} URLs, header {body.splitlines()[0][:110]!r}")
    finally:
        server.send_signal(signal.SIGTERM)
        nginx.send_signal(signal.SIGQUIT)
        server.wait(30)
        nginx.wait(30)
        shutil.rmtree(work, ignore_errors=True)
    return 0


def features_ab(args: argparse.Namespace, cache: Path, geoip: Path, netblocks: Path,
                workload: Workload) -> int:
    from mirrorlist_ab import run_ab

    work = Path(tempfile.mkdtemp(prefix="mlbench-ab-"))
    try:
        script = work / "mirrorlist.lua"
        write_lua(script, "mirrorlist", workload)

        def start_server(port: int, env: dict[str, str], arm: str) -> subprocess.Popen[bytes]:
            # --metrics applies to this tree's arm (the reference may not know the key)
            config = (server_config(work, args.metrics, args.gc_freeze_interval)
                      if arm == "features" else None)
            return subprocess.Popen(
                server_command(cache, port, args.workers, geoip, netblocks, work, config),
                stdout=subprocess.PIPE, cwd=work, env=env)

        run_ab(rounds=args.features_ab, revision=args.reference, cache=cache, geoip=geoip,
               netblocks=netblocks, workload=workload, work=work, workers=args.workers,
               duration=args.duration, warmup=args.warmup, connections=args.connections,
               threads=args.wrk_threads,
               inprocess=args.inprocess, instructions=args.instructions,
               start_server=start_server, run_wrk=run_wrk,
               script=script, free_port=free_port, wait_port=wait_port)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
