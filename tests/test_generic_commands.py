"""The core's ``db``, ``cache write`` and ``serve`` work with any storage backend, cache writer
and frontend: here those of tests/minimal_backend (a JSON file), installed as a third party
would install it, with no SQL store involved."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from installed import MIRRORMANAGER, pip_install, run_cli


@pytest.fixture(scope="module")
def minimal_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    target = tmp_path_factory.mktemp("site")
    pip_install(target, "minimal_backend")
    return {"PYTHONPATH": str(target)}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "mm.toml"
    path.write_text(
        f'[database]\nurl = "minimal://{tmp_path / "db.json"}"\n'
        f'[paths]\ndata_dir = "{tmp_path / "var"}"\n'
    )
    return path


def test_db_and_cache_write_with_another_backend_and_writer(minimal_env, config, tmp_path):
    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return run_cli("--config", str(config), *argv, env=minimal_env, cwd=tmp_path)

    current = cli("db", "current")
    assert current.returncode == 1 and "does not exist" in current.stdout
    assert not (tmp_path / "db.json").exists()  # a read-only command creates nothing

    upgraded = cli("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout == f"database minimal://{tmp_path / 'db.json'} at revision minimal-1\n"
    assert cli("db", "current").stdout == "minimal-1\n"

    written = cli("cache", "write", "--format", "minimal")
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "var" / "hosts.txt").read_text() == "mirror.example.org\n"
    assert "format minimal" in written.stdout

    # every installed writer: the protobuf writer cannot read this store, and says so
    every = cli("cache", "write")
    assert every.returncode == 1
    assert "cache protobuf: the storage backend JsonStore provides no cache reads" in every.stderr


def test_serve_any_frontend_with_signals(minimal_env, config, tmp_path):
    cache = tmp_path / "hosts.txt"
    cache.write_text("first\n")
    server = subprocess.Popen(
        [str(MIRRORMANAGER), "--config", str(config), "serve", "minimal", "--listen",
         "127.0.0.1:0", "--cache", str(cache)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **minimal_env}, cwd=tmp_path,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("Listening on http://127.0.0.1:"), server.stderr
        url = line.split("Listening on ", 1)[1].strip()
        assert urllib.request.urlopen(url, timeout=5).read() == b"first\n"

        cache.write_text("second\n")
        server.send_signal(signal.SIGHUP)  # the core relays it as a reload request
        deadline = time.monotonic() + 10
        while urllib.request.urlopen(url, timeout=5).read() != b"second\n":
            assert time.monotonic() < deadline, "SIGHUP did not reload"
            time.sleep(0.05)

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=15) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
