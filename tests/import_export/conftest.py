"""Fixtures of the import/export tests: ``config_path``, a configuration file naming an upgraded
database on each backend (the ``store`` fixture's)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def config_path(tmp_path: Path, store, store_url: str) -> Path:
    path = tmp_path / "mirrormanager.toml"
    path.write_text(f'[database]\nurl = "{store_url}"\n[paths]\ndata_dir = "{tmp_path / "var"}"\n')
    return path
