"""``mirrormanager demo`` end to end, as a user runs it: a subprocess in a temporary directory,
real servers on loopback, a real metalink client (aria2c), then Ctrl-C."""

from __future__ import annotations

import hashlib
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psutil

MIRRORMANAGER = Path(sys.executable).with_name("mirrormanager")
ENDPOINT = re.compile(r"^(ui|mirrorlist|metalink): (http://\S+)$")
EXPECTED_REPOSITORIES = {"epel-9", "fedora-40", "updates-released-f40"}
from system_tools import needs_aria2c


def read_endpoints(process: subprocess.Popen[str], deadline: float) -> tuple[dict, list[str]]:
    """Read stdout lines until every endpoint line is there (bounded by ``deadline``)."""
    endpoints: dict[str, list[str]] = {"ui": [], "mirrorlist": [], "metalink": []}
    text = ""
    fd = process.stdout.fileno()
    while len(endpoints["metalink"]) < len(EXPECTED_REPOSITORIES):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"demo did not print its endpoints in time:\n{text}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 65536).decode()
        assert chunk, f"demo exited early ({process.poll()}):\n{text}"
        text += chunk
        endpoints = {"ui": [], "mirrorlist": [], "metalink": []}
        for line in text.splitlines():
            match = ENDPOINT.match(line)
            if match:
                endpoints[match.group(1)].append(match.group(2))
    return endpoints, text.splitlines()


def mirrors_listed(url: str) -> set[str]:
    body = httpx.get(url, timeout=10).text
    return {line.split("/")[3] for line in body.splitlines() if line and not line.startswith("#")}


def port_accepts(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((parts.hostname, parts.port)) == 0


@needs_aria2c
def test_demo_end_to_end(tmp_path):
    workdir = tmp_path / "demo"
    process = subprocess.Popen(
        [str(MIRRORMANAGER), "demo", "--dir", str(workdir)],
        stdout=subprocess.PIPE,
        stderr=open(tmp_path / "demo.log", "w"),
        cwd=tmp_path,
    )
    try:
        endpoints, lines = read_endpoints(process, time.monotonic() + 180)
        children = psutil.Process(process.pid).children(recursive=True)
        assert len(children) >= 2  # the FTP server and the rsync daemon

        assert len(endpoints["ui"]) == 1
        assert "MirrorManager demo" in httpx.get(endpoints["ui"][0], timeout=10).text

        by_repo = {
            re.search(r"repo=([^&]+)", url).group(1): url for url in endpoints["mirrorlist"]
        }
        assert set(by_repo) == EXPECTED_REPOSITORIES
        # only mirrors that are up to date for a repository are offered for it
        assert mirrors_listed(by_repo["fedora-40"]) == {"mirror1", "mirror2", "mirror3", "mirror4"}
        assert mirrors_listed(by_repo["updates-released-f40"]) == {"mirror1", "mirror2", "mirror4"}
        assert mirrors_listed(by_repo["epel-9"]) == {"mirror1", "mirror2", "mirror3"}

        # a real metalink client fetches repomd.xml from the mirrors and verifies its hash
        metalink = next(url for url in endpoints["metalink"] if "repo=fedora-40" in url)
        download = tmp_path / "download"
        result = subprocess.run(
            [
                "aria2c", "--follow-metalink=mem", "--check-integrity=true",
                "--allow-overwrite=true", "--connect-timeout=5", "--timeout=10",
                "--max-tries=2", f"--dir={download}", "--console-log-level=warn", metalink,
            ],
            capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        master = next((workdir / "master").rglob("releases/40/Everything/x86_64/os/repodata/repomd.xml"))
        fetched = download / "repomd.xml"
        assert hashlib.sha256(fetched.read_bytes()).digest() == hashlib.sha256(master.read_bytes()).digest()

        # Ctrl-C stops everything: the demo, its child processes, its ports
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, f"left running: {alive}"
        for url in (*endpoints["ui"], by_repo["fedora-40"]):
            assert not port_accepts(url)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
