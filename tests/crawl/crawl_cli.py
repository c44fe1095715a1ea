"""Running the ``mirrormanager`` command from crawl tests: a configuration file and the CLI."""

from __future__ import annotations

import io
from pathlib import Path

import trio

from mmcore.cli import main


def crawl_config(tmp_path: Path, store_url: str, *, auto_disable: int) -> str:
    """A configuration file for ``store_url`` with short crawl timeouts; its path."""
    path = tmp_path / "mm.toml"
    path.write_text(
        f'[database]\nurl = "{store_url}"\n[paths]\ndata_dir = "{tmp_path / "var"}"\n'
        "[crawler]\noperation_timeout = 3.0\nconnect_timeout = 2.0\n"
        f"auto_disable = {auto_disable}\n"
    )
    return str(path)


async def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``mirrormanager ARGV``: exit status, stdout, stderr.  The command runs its own trio loop,
    so it runs in a thread (as a user's shell would) and the test's loop keeps serving mirrors."""
    out, err = io.StringIO(), io.StringIO()
    code = await trio.to_thread.run_sync(lambda: main(argv, out=out, err=err))
    return code, out.getvalue(), err.getvalue()
