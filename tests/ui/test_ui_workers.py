"""``serve ui --workers N``: N processes on one port, one secret key, sessions valid on every
worker, a dead worker replaced, all of them gone when the supervisor stops or dies."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from tests.ui.conftest import PASSWORD, local_user

MIRRORMANAGER = Path(os.environ.get("VIRTUAL_ENV", ".venv")) / "bin" / "mirrormanager"


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def _worker_pids(supervisor: int) -> set[int]:
    return {pid for pid in _children(supervisor)
            if b"mirrormanager_quart_ui.worker" in Path(f"/proc/{pid}/cmdline").read_bytes()}


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _serving_pid(server_port: int, client_port: int, pids: set[int]) -> int | None:
    """The worker holding the server end of the connection from ``client_port``."""
    wanted = f":{server_port:04X}", f":{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(wanted[0]) and fields[2].endswith(wanted[1]):
            for pid in pids:
                if fields[9] in _socket_inodes(pid):
                    return pid
    return None


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its parent to reap it does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait(condition: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        assert time.monotonic() < deadline, what
        time.sleep(0.1)
    return found


def _login(base: str) -> str:
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        answer = client.post("/login", data={"username": "owner", "password": PASSWORD,
                                             "csrf_token": token})
        assert answer.status_code == 303, answer.text
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


@contextlib.contextmanager
def _serving(config: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``serve ui`` started (its URL once it said ``Listening on``), killed if still running."""
    log = config.parent / "serve.log"
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [str(MIRRORMANAGER), "--config", str(config), "serve", "ui", "--listen",
             "127.0.0.1:0", *args], stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("Listening on http://127.0.0.1:"), (line, log.read_text())
        yield server, line.split()[-1]
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()


@pytest.fixture
def config(store: Any, tmp_path: Path) -> Path:
    trio.run(local_user, store, "owner")
    path = tmp_path / "mirrormanager.toml"
    # no secret_key: the supervisor makes one for every worker
    path.write_text(f'[database]\nurl = "{store.engine.url.render_as_string(hide_password=False)}"\n'
                    f'[paths]\ndata_dir = "{tmp_path / "data"}"\n'
                    '[ui]\ncookie_secure = false\nlogin_failure_delay = 0.0\nworkers = 2\n')
    return path


def test_workers_share_the_port_the_key_and_the_sessions(config: Path, tmp_path: Path) -> None:
    with _serving(config) as (server, base):
        port = int(base.rsplit(":", 1)[1])
        workers = _wait(lambda: _worker_pids(server.pid) if len(_worker_pids(server.pid)) == 2
                        else None, 30, "two workers")
        assert (tmp_path / "data" / "ui-secret-key").stat().st_mode & 0o077 == 0
        cookie = _login(base)

        # new connections until both workers have answered some (the kernel spreads them)
        served: dict[int, int] = {}
        for _ in range(64):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                connection.request("GET", "/sites", headers={"Cookie": cookie})
                answer = connection.getresponse()
                body = answer.read().decode()
                pid = _serving_pid(port, connection.sock.getsockname()[1], workers)
            finally:
                connection.close()
            # logged in on whichever worker: one key, sessions in the database
            assert answer.status == 200 and "owner" in body, (answer.status, body[:200])
            assert pid in workers
            served[pid] = served.get(pid, 0) + 1
            if len(served) == 2:
                break
        assert set(served) == workers, served

        # a worker that dies is replaced (after the restart delay), the other keeps serving
        dead = min(workers)
        os.kill(dead, signal.SIGKILL)
        assert httpx.get(f"{base}/mirrors", timeout=30).status_code == 200

        def two_without_the_dead_one() -> set[int] | None:
            now = _worker_pids(server.pid)
            return now if len(now) == 2 and dead not in now else None

        replaced = _wait(two_without_the_dead_one, 60, "the dead worker was not replaced")
        assert httpx.get(f"{base}/sites", headers={"Cookie": cookie}, timeout=30).status_code == 200

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0
        _wait(lambda: not any(_alive(pid) for pid in replaced), 10,
              "workers outlived their supervisor")


def test_workers_stop_when_their_supervisor_is_killed(config: Path) -> None:
    with _serving(config) as (server, _base):
        workers = _wait(lambda: _worker_pids(server.pid) if len(_worker_pids(server.pid)) == 2
                        else None, 30, "two workers")
        server.kill()  # no chance to stop them: they read EOF on their stdin
        server.wait()
        _wait(lambda: not any(_alive(pid) for pid in workers), 20,
              "orphaned workers kept serving")


def test_a_bad_worker_count_is_a_usage_error(config: Path) -> None:
    answer = subprocess.run(
        [str(MIRRORMANAGER), "--config", str(config), "serve", "ui", "--workers", "0"],
        capture_output=True, text=True, timeout=60)
    assert answer.returncode == 2
    assert "serve ui: workers" in answer.stderr
