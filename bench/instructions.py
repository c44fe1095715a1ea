"""Exact instruction counts of one section of a child process, under valgrind's callgrind.

On a shared machine, timings of two versions of the same code differ by 10-30 % from one run
to the next; the number of instructions a section executes does not depend on the load, the
core it ran on or the other jobs, so it tells a 3 % difference apart where timings cannot.  It
is not the time: cache misses and branch mispredictions are left out (callgrind's cache
simulation, ``--cache-sim=yes``, counted their share alike for the list server's two
versions, see docs/benchmarks/mirrorlist.md).

A child measured here runs under ``valgrind --tool=callgrind --instr-atstart=no`` (Python is
several times slower there, so only the measured section is instrumented) and speaks a small
protocol on its standard streams (:func:`measured_section`): it prints ``ready`` once set up,
runs the section when it reads a line, prints ``done``, and exits at the next line.  The parent
(:func:`count_section`) switches callgrind's instrumentation on and off around the section
with ``callgrind_control`` and reads the total from the profile written at exit.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

#: what a child's set-up and its section may take under valgrind, seconds
TIMEOUT = 900.0


def available() -> str | None:
    """``None`` when callgrind can be used here, else what is missing."""
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            return f"{tool} not found (Debian package valgrind)"
    return None


def measured_section(section: Callable[[], None]) -> None:
    """The child's side: announce readiness, run ``section`` when told, report, wait."""
    print("ready", flush=True)
    sys.stdin.readline()
    section()
    print("done", flush=True)
    sys.stdin.readline()


def _expect(process: subprocess.Popen[str], word: str) -> None:
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if line != word:
        raise RuntimeError(f"measured child said {line!r}, expected {word!r}")


def _say(process: subprocess.Popen[str], line: str) -> None:
    assert process.stdin is not None
    process.stdin.write(line + "\n")
    process.stdin.flush()


def _instrument(pid: int, on: bool) -> None:
    subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(pid)],
                   capture_output=True, check=True, timeout=60)


def count_section(command: Sequence[str], env: Mapping[str, str], profile: Path,
                  timeout: float = TIMEOUT) -> int:
    """Instructions the section of ``command`` (a child speaking :func:`measured_section`)
    executed; the child is killed after ``timeout`` seconds."""
    process = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no",
         f"--callgrind-out-file={profile}", *command],
        env=dict(env), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)
    killer = threading.Timer(timeout, process.kill)
    killer.start()
    try:
        _expect(process, "ready")
        _instrument(process.pid, True)
        _say(process, "go")
        _expect(process, "done")
        _instrument(process.pid, False)
        _say(process, "end")
        if process.wait() != 0:
            raise RuntimeError(f"measured child exited with {process.returncode}")
    finally:
        killer.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
    totals = re.search(r"^totals: (\d+)", profile.read_text(), re.M)
    if totals is None:
        raise RuntimeError(f"no totals in {profile}")
    return int(totals.group(1))


def count_sections(jobs: Mapping[str, tuple[Sequence[str], Mapping[str, str]]], work: Path,
                   parallel: int = 2) -> dict[str, int]:
    """:func:`count_section` of each named job, ``parallel`` at a time (the counts do not
    depend on what else runs)."""
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        futures = {name: pool.submit(count_section, command, env, work / f"callgrind.{name}")
                   for name, (command, env) in jobs.items()}
        return {name: future.result() for name, future in futures.items()}
