"""Running the installed ``mirrormanager`` command, and installing test packages beside it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parent
MIRRORMANAGER = Path(sys.executable).with_name("mirrormanager")


def run_cli(*argv: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MIRRORMANAGER), *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def pip_install(target: Path, *packages: str) -> None:
    """Install ``tests/<package>`` directories into ``target`` (a directory for PYTHONPATH)."""
    install = subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
            "--no-build-isolation", "--target", str(target),
            *(str(TESTS / package) for package in packages),
        ],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr


def parse_plugins_output(text: str) -> dict[str, tuple[str, list[str]]]:
    """``mirrormanager plugins`` output -> {plugin: (distribution, [hooks])}."""
    plugins: dict[str, tuple[str, list[str]]] = {}
    current = ""
    for line in text.splitlines():
        if line.startswith("    "):
            plugins[current][1].append(line.strip())
        else:
            name, _, dist = line.partition(": ")
            current = name
            plugins[name] = (dist, [])
    return plugins
