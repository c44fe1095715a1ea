"""Fixtures of the scanner tests: a store with the scan operations and a generated master tree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mmcore.deployment import ArchSpec, Deployment
from mirrormanager_devtools.mastertree import MasterTree, TreeSpec, generate_master_tree
from mirrormanager_pg_store.store import SqlStore
from scan_helpers import ARCHES, next_second


@pytest.fixture
def scan_store(store_url: str) -> Iterator[SqlStore]:
    store = SqlStore(store_url)
    store.upgrade()
    store.apply_deployment(Deployment(arches=tuple(ArchSpec(a) for a in ARCHES)))
    yield store
    store.close()


@pytest.fixture
def tree(tmp_path: Path) -> MasterTree:
    return generate_master_tree(tmp_path / "master", TreeSpec())


@pytest.fixture
def settled_tree(tree: MasterTree) -> MasterTree:
    """The tree, once its directories' ctimes are a second old: a directory listed within the
    second of its ctime is recorded as unsettled and read again by the next scan, which tests
    of "an unchanged rescan does nothing" must not see."""
    next_second()
    return tree


