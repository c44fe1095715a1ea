"""Running ``mirrormanager import``/``export`` through the real command line, for these tests."""

from __future__ import annotations

import io
from pathlib import Path

from mmcore.cli import main

EXAMPLE = Path(__file__).parents[2] / "examples" / "deployment.toml"


def run(config_path: Path, *argv: str) -> tuple[int, str, str]:
    """``(exit status, stdout, stderr)`` of one command."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["--config", str(config_path), *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def snapshot(config_path: Path) -> str:
    """The whole deployment, as ``export`` writes it."""
    code, out, err = run(config_path, "export")
    assert code == 0, err
    return out


def import_text(config_path: Path, tmp_path: Path, text: str, *options: str,
                name: str = "deployment.toml") -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return run(config_path, "import", *options, str(path))
