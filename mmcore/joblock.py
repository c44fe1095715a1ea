"""One lock per periodic job, so overlapping runs from cron or systemd timers are harmless.

A job holds ``<data_dir>/locks/<job>.lock`` with ``fcntl.flock`` for as long as it runs; the
kernel releases it when the process ends, however it ends, so a crashed run never leaves a stale
lock behind.  A second run of the same job does not wait: it exits at once with
:data:`EXIT_LOCKED` and a message naming the job, the lock file and the holder's pid.

Use it around a command's work::

    from mmcore.joblock import run_locked

    def run(runtime, args):
        return run_locked(runtime, "crawl", lambda: _crawl(runtime, args))
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

#: exit status of a run that found its job already running (``EX_TEMPFAIL`` of sysexits.h:
#: "try again later"); 0, 1 and 2 keep their meanings
EXIT_LOCKED = 75

_JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class JobLocked(Exception):
    """Another run of the job holds its lock; the message says which job and who holds it."""


def lock_path(data_dir: Path | str, job: str) -> Path:
    if not _JOB_NAME.match(job):
        raise ValueError(f"bad job name {job!r}")
    return Path(data_dir) / "locks" / f"{job}.lock"


@contextlib.contextmanager
def job_lock(data_dir: Path | str, job: str) -> Iterator[Path]:
    """Hold the lock of ``job`` under ``data_dir`` for the ``with`` block.

    :raises JobLocked: another process holds it (never waits).
    """
    path = lock_path(data_dir, job)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise JobLocked(
                f"{job} is already running (pid {holder}, lock {path}); this run exits"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock


def run_locked(runtime: Any, job: str, work: Callable[[], int]) -> int:
    """Run ``work`` holding ``job``'s lock under ``runtime.config.data_dir``; when another run
    holds it, print why to ``runtime.err`` and return :data:`EXIT_LOCKED` without running."""
    try:
        with job_lock(runtime.config.data_dir, job):
            return work()
    except JobLocked as exc:
        print(f"mirrormanager: {exc}", file=runtime.err)
        return EXIT_LOCKED
