"""List-server benchmark: /mirrorlist and /metalink under wrk, next to nginx serving a static file.

    .venv/bin/python bench/mirrorlist.py [--dir bench-data/mirrorlist] [--duration 10]
        [--connections 50] [--workers 2] [--directories 100000]

Builds (once, then reuses) a synthetic Fedora-sized cache from protobuf messages: 400 public and
20 private hosts in 40 countries, 100,000 directories (1,000 repo/arch pairs with their
repodata, the rest archive-like with fewer hosts), repomd.xml details with alternates; a GeoIP
database and a global_netblocks.txt of 300,000 routes.  Requests are spread over the 1,000
repo/arch pairs and over client addresses in several countries and tiers (GeoIP country,
continent-only, global fallback, private netblock, ASN) through X-Forwarded-For, by a wrk Lua
script.  Prints req/s, p50/p99, the ratio to nginx, cache load time and the RSS of all workers.
"""

from __future__ import annotations

import argparse
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

import netaddr
import psutil
from mmdb_writer import MMDBWriter

from mirrormanager_mirrorlist import mirrormanager_pb2 as pb
from mirrormanager_mirrorlist.builder import write_atomically
from mirrormanager_mirrorlist.continents import read_country_continent
from mirrormanager_mirrorlist.inputs import InputPaths, Inputs

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
    return b"\x82\x01" + _varint(len(data)) + data


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def build_geoip(path: Path) -> dict[str, str]:
    """One /16 per client country inside 100.64.0.0/10; returns country -> prefix."""
    writer = MMDBWriter(ip_version=6, database_type="GeoIP2-Country", languages=["en"],
                        description="bench", ipv4_compatible=True)
    prefixes = {}
    for i, country in enumerate(CLIENTS):
        prefix = f"100.{64 + i}"
        writer.insert_network(netaddr.IPSet([f"{prefix}.0.0/16"]),
                              {"country": {"iso_code": country}})
        prefixes[country] = prefix
    writer.to_db_file(str(path))
    return prefixes


def build_netblocks(path: Path, routes: int, seed: int = 2) -> None:
    rng = random.Random(seed)
    with path.open("w") as out:
        for i in range(10):
            out.write(f"198.{18 + i}.0.0/16 {64500 + i}\n")
        for _ in range(routes):
            length = rng.choice((16, 17, 18, 19, 20, 21, 22, 23, 24, 24, 24))
            address = rng.getrandbits(32) & (0xFFFFFFFF << (32 - length))
            if address >> 24 in (10, 100, 198, 127, 0):
                continue
            out.write(f"{socket.inet_ntoa(address.to_bytes(4, 'big'))}/{length} "
                      f"{rng.randint(1, 400000)}\n")


def write_lua(path: Path, endpoint: str, prefixes: dict[str, str], seed: int = 3) -> None:
    rng = random.Random(seed)
    repos = [f"fedora-{v}&arch={a}" for v in range(1, 251) for a in ARCHES]
    clients = []
    for country, weight in CLIENTS.items():
        for _ in range(weight * 4):
            clients.append(f"{prefixes[country]}.{rng.randint(0, 255)}.{rng.randint(1, 254)}")
    clients += [f"10.{rng.randint(0, 19)}.1.{rng.randint(1, 254)}" for _ in range(20)]
    clients += [f"198.{18 + rng.randint(0, 9)}.3.{rng.randint(1, 254)}" for _ in range(20)]
    lua = [
        "math.randomseed(os.time())",
        "local repos = {" + ",".join(f'"{r}"' for r in repos) + "}",
        "local clients = {" + ",".join(f'"{c}"' for c in clients) + "}",
        "request = function()",
        "  local r = repos[math.random(#repos)]",
        "  local c = clients[math.random(#clients)]",
        f'  return wrk.format("GET", "/{endpoint}?repo=" .. r .. "&countme=1",'
        ' {["X-Forwarded-For"] = c})',
        "end",
    ]
    path.write_text("\n".join(lua) + "\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


def run_wrk(url: str, duration: int, connections: int, script: Path | None) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
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


def tree_rss(process: psutil.Process) -> tuple[float, float]:
    """RSS and PSS (MB) of the process and its children."""
    rss = pss = 0.0
    for p in [process, *process.children(recursive=True)]:
        try:
            info = p.memory_full_info()
        except psutil.Error:
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return rss / 2**20, pss / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="bench-data/mirrorlist")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--directories", type=int, default=100_000)
    parser.add_argument("--routes", type=int, default=300_000)
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (apt-get install -y {tool})", file=sys.stderr)
            return 2
    data = Path(args.dir).resolve()
    data.mkdir(parents=True, exist_ok=True)
    cache = data / f"mirrorlist_cache-{args.directories}.proto"
    if not cache.exists():
        started = time.monotonic()
        print(f"building synthetic cache {cache} ...", flush=True)
        build_cache(cache, args.directories)
        print(f"  built in {time.monotonic() - started:.1f} s", flush=True)
    netblocks = data / f"global_netblocks-{args.routes}.txt"
    if not netblocks.exists():
        build_netblocks(netblocks, args.routes)
    geoip = data / "country.mmdb"
    prefixes = build_geoip(geoip)
    size_mb = cache.stat().st_size / 2**20

    # load time and memory of one load, in this process
    before = psutil.Process().memory_info().rss
    inputs = Inputs(InputPaths(cache=cache), validate=True)
    started = time.monotonic()
    inputs.load_all()
    load_validated = time.monotonic() - started
    after = psutil.Process().memory_info().rss
    quick = Inputs(InputPaths(cache=cache), validate=False)
    started = time.monotonic()
    quick.load_all()
    load_quick = time.monotonic() - started
    assert inputs.index is not None
    print(f"cache: {size_mb:.1f} MB, {inputs.index.directory_count} directories; load "
          f"{load_validated:.2f} s validated, {load_quick:.2f} s unvalidated; "
          f"RSS +{(after - before) / 2**20:.0f} MB")
    started = time.monotonic()
    read_country_continent(None)
    from mirrormanager_mirrorlist.prefixes import AsnTable
    AsnTable.from_file(netblocks)
    print(f"global netblocks: {args.routes} routes loaded in {time.monotonic() - started:.2f} s")
    del inputs, quick

    work = Path(tempfile.mkdtemp(prefix="mlbench-"))
    scripts = {}
    for endpoint in ("mirrorlist", "metalink"):
        scripts[endpoint] = work / f"{endpoint}.lua"
        write_lua(scripts[endpoint], endpoint, prefixes)
    port, nginx_port = free_port(), free_port()
    exe = Path(sys.executable).parent / "mirrormanager"
    started = time.monotonic()
    server = subprocess.Popen(
        [str(exe), "-q", "serve", "mirrorlist", "--cache", str(cache), "--listen",
         f"127.0.0.1:{port}", "--workers", str(args.workers), "--geoip", str(geoip),
         "--netblocks", str(netblocks), "--log", str(work / "access.log")],
        stdout=subprocess.PIPE, cwd=work,
    )
    nginx = start_nginx(work / "nginx", nginx_port)
    try:
        assert server.stdout is not None
        server.stdout.readline()  # "Listening on ..." once every worker loaded the cache
        ready = time.monotonic() - started
        wait_port(nginx_port)
        wait_port(port)
        base = f"http://127.0.0.1:{port}"
        results = {}
        results["nginx static 4.8 KB"] = run_wrk(
            f"http://127.0.0.1:{nginx_port}/static.txt", args.duration, args.connections, None)
        for endpoint in ("mirrorlist", "metalink"):
            run_wrk(base + "/", 2, args.connections, scripts[endpoint])  # warm the views
            results[f"/{endpoint}"] = run_wrk(
                base + "/", args.duration, args.connections, scripts[endpoint])
        rss, pss = tree_rss(psutil.Process(server.pid))
        nginx_rps = results["nginx static 4.8 KB"]["rps"]
        print(f"\nwrk -t2 -c{args.connections} -d{args.duration}s, {args.workers} workers, "
              f"{os.cpu_count()} CPUs (wrk shares them)")
        print(f"{'target':24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs nginx':>9} {'non-2xx':>8}")
        for name, r in results.items():
            print(f"{name:24} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} "
                  f"{r['rps'] / nginx_rps:9.2f} {r['non2xx']:8.0f}")
        print(f"\nserver ready (all workers loaded) after {ready:.2f} s; RSS of all processes "
              f"{rss:.0f} MB (PSS {pss:.0f} MB)")
        body = subprocess.run(["curl", "-s", "-H", f"X-Forwarded-For: {prefixes['DE']}.1.1",
                               base + "/mirrorlist?repo=fedora-40&arch=x86_64"],
                              capture_output=True, text=True).stdout
        print(f"sample answer (DE client): {len(body)} bytes, {body.count(chr(10)) - 1} URLs, "
              f"header {body.splitlines()[0][:100]!r}")
    finally:
        server.send_signal(signal.SIGTERM)
        nginx.send_signal(signal.SIGQUIT)
        server.wait(30)
        nginx.wait(30)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
