"""Fairness under a pipelining flood: how long an ordinary request waits while N connections
each write P pipelined ``/metalink`` requests and never read their answers.

    flock /tmp/bench.lock .venv/bin/python bench/pipelining.py [--cache FILE]
        [--connections 100 200] [--pipelined 1200] [--workers 2] [--seconds 15]

Starts ``mirrormanager serve mirrorlist`` on the fedora-scale cache that ``bench/mirrorlist.py``
builds (``bench-data/mirrorlist/fedora-1.proto``), measures the latency of ordinary
``/mirrorlist`` requests (a new connection every 50 ms) with no flood, then during each flood,
and prints the worst and the median as a ratio to the quiet median.  Uses only the command line
and sockets, so the same script measures any version of the server (``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from mirrormanager_devtools.loopback import free_port

ORDINARY = b"GET /mirrorlist?repo=fedora-41&arch=x86_64&countme=1 HTTP/1.1\r\nHost: b\r\n" \
    b"X-Forwarded-For: 192.0.2.7\r\nConnection: close\r\n\r\n"
FLOOD = b"GET /metalink?repo=fedora-41&arch=x86_64 HTTP/1.1\r\nHost: b\r\n\r\n"


TIMEOUT = 60.0


def ordinary(port: int) -> float:
    """Seconds for one complete answer on a new connection (:data:`TIMEOUT` if none came)."""
    started = time.perf_counter()
    received = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            sock.sendall(ORDINARY)
            while chunk := sock.recv(65536):
                received += chunk
    except TimeoutError:
        return TIMEOUT
    if not received.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(received[:200])
    return time.perf_counter() - started


def latencies(port: int, seconds: float, interval: float = 0.05) -> list[float]:
    found = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        found.append(ordinary(port))
        time.sleep(interval)
    return found


def flood(port: int, connections: int, pipelined: int) -> list[socket.socket]:
    """Open the connections and write every request; nothing is ever read."""
    data = FLOOD * pipelined
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(connections)]

    def send(sock: socket.socket) -> None:
        try:
            sock.sendall(data)
        except OSError:
            pass

    threads = [threading.Thread(target=send, args=(s,), daemon=True) for s in socks]
    for thread in threads:
        thread.start()
    return socks


def workers_rss(pid: int) -> float:
    """MB of RSS of the server's worker processes (or of the server, with one worker)."""
    process = psutil.Process(pid)
    children = process.children(recursive=True) or [process]
    return sum(child.memory_info().rss for child in children) / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("bench-data/mirrorlist/fedora-1.proto"))
    parser.add_argument("--connections", type=int, nargs="+", default=[100, 200])
    parser.add_argument("--pipelined", type=int, default=1200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--config", type=Path, help="a mirrormanager.toml ([mirrorlist] keys)")
    args = parser.parse_args()
    if not args.cache.exists():
        print(f"{args.cache} is missing: bench/mirrorlist.py builds it", file=sys.stderr)
        return 2
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="mlflood-"))
    exe = Path(sys.executable).parent / "mirrormanager"
    config = ["--config", str(args.config.resolve())] if args.config else []
    server = subprocess.Popen(
        [str(exe), "-q", *config, "serve", "mirrorlist", "--cache", str(args.cache.resolve()),
         "--listen", f"127.0.0.1:{port}", "--workers", str(args.workers), "--log", ""],
        stdout=subprocess.PIPE, cwd=work,
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()  # "Listening on ..."
        quiet = latencies(port, 3)
        base = statistics.median(quiet)
        print(f"{os.cpu_count()} CPUs, {args.workers} workers, load average "
              f"{open('/proc/loadavg').read().split()[:3]}")
        print(f"quiet: median {base * 1000:.1f} ms, worst {max(quiet) * 1000:.1f} ms "
              f"({len(quiet)} requests)")
        for connections in args.connections:
            socks = flood(port, connections, args.pipelined)
            time.sleep(0.2)  # the flood is in the server's sockets
            during = latencies(port, args.seconds)
            worst, median = max(during), statistics.median(during)
            rss = workers_rss(server.pid)
            for sock in socks:
                sock.close()
            print(f"{connections} connections x {args.pipelined} pipelined /metalink, never "
                  f"read: worst {'> ' if worst >= TIMEOUT else ''}{worst * 1000:.0f} ms "
                  f"({worst / base:.0f}x quiet), median {median * 1000:.1f} ms "
                  f"({median / base:.1f}x), {len(during)} requests; workers' RSS {rss:.0f} MB")
            time.sleep(3)  # let the server drop the flood
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
