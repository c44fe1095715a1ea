"""Fixtures of the dataset tests: the small dataset loaded once per backend and test."""

from __future__ import annotations

import pytest

from mirrormanager_devtools.dataset.load import LoadReport, load_dataset
from mirrormanager_devtools.dataset.scales import SCALES


@pytest.fixture
def small_loaded(store) -> tuple[object, LoadReport]:
    """The shared upgraded ``store`` filled with the small dataset, seed 1."""
    report = load_dataset(store, SCALES["small"], 1)
    return store, report
