"""Fixtures of the scanner tests: a store with the scan operations and a generated master tree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mmcore.deployment import ArchSpec, Deployment
from mmcore.mastertree import MasterTree, TreeSpec, generate_master_tree
from scan_helpers import ARCHES, ScanSqlStore


@pytest.fixture
def scan_store(store_url: str) -> Iterator[ScanSqlStore]:
    store = ScanSqlStore(store_url)
    store.upgrade()
    store.apply_deployment(Deployment(arches=tuple(ArchSpec(a) for a in ARCHES)))
    yield store
    store.close()


@pytest.fixture
def tree(tmp_path: Path) -> MasterTree:
    return generate_master_tree(tmp_path / "master", TreeSpec())


