"""mmcore.joblock: one run of a job at a time, across processes; the lock dies with its holder."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import attrs
import pytest

from mmcore.joblock import EXIT_LOCKED, JobLocked, job_lock, lock_path, run_locked

HOLDER = textwrap.dedent("""
    import sys, time
    from mmcore.joblock import job_lock
    with job_lock(sys.argv[1], "crawl"):
        print("held", flush=True)
        sys.stdin.readline()
""")


def _hold(tmp_path: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def test_second_run_is_refused_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    holder = _hold(tmp_path)
    try:
        with pytest.raises(JobLocked, match=rf"crawl is already running \(pid {holder.pid}"):
            with job_lock(tmp_path, "crawl"):
                pytest.fail("entered a held lock")
        with job_lock(tmp_path, "umdl"):  # another job is not blocked
            pass
    finally:
        holder.communicate("done\n", timeout=10)
    with job_lock(tmp_path, "crawl") as path:  # released when the holder ended
        assert path == lock_path(tmp_path, "crawl")
        assert path.read_text().strip() != str(holder.pid)


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    holder = _hold(tmp_path)
    holder.kill()
    holder.wait(timeout=10)
    with job_lock(tmp_path, "crawl"):
        pass


@attrs.frozen
class _Config:
    data_dir: Path


@attrs.frozen
class _Runtime:
    config: _Config
    err: io.StringIO = attrs.field(factory=io.StringIO)


def test_run_locked_returns_the_distinct_status(tmp_path: Path) -> None:
    runtime = _Runtime(_Config(tmp_path))
    assert run_locked(runtime, "stats-import", lambda: 0) == 0
    with job_lock(tmp_path, "stats-import"):
        ran = []
        status = run_locked(runtime, "stats-import", lambda: ran.append(1) or 0)
    assert status == EXIT_LOCKED == 75 and ran == []
    assert "stats-import is already running" in runtime.err.getvalue()


def test_bad_job_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        lock_path(tmp_path, "../etc/passwd")


@pytest.mark.parametrize(("argv", "job"), [
    (("umdl",), "umdl"), (("crawl",), "crawl"), (("crawl", "propagation"), "crawl-propagation"),
    (("cache", "write"), "cache-write"),
])
def test_the_core_jobs_exit_at_once_while_another_run_holds_their_lock(tmp_path, argv, job):
    from installed import run_cli

    config = tmp_path / "mm.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "mm.db"}"\n'
                      f'[paths]\ndata_dir = "{tmp_path / "var"}"\n')
    with job_lock(tmp_path / "var", job):
        result = run_cli("--config", str(config), *argv, cwd=tmp_path)
    assert result.returncode == EXIT_LOCKED, result.stderr
    assert job in result.stderr and not (tmp_path / "mm.db").exists()
