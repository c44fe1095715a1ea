"""Cache writer: the bytes written before the writer moved its grouping into the database.

The sha256 below were taken from files written by the per-row writer of main (before issue 15's
bulk reads), with the clock frozen to the dataset's epoch and the tests' fake resolver, on
SQLite and PostgreSQL alike.  Any change of the output is a change of the file format: the list
servers (ours and Fedora's) read these bytes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cache_writer_data import fake_resolver, populate
from mirrormanager_mirrorlist.writer import ProtobufCacheWriter

from mirrormanager_devtools.dataset.load import load_dataset
from mirrormanager_devtools.dataset.reference import EPOCH
from mirrormanager_devtools.dataset.scales import SCALES

#: content -> (file size, sha256) written by the per-row writer
GOLDEN = {
    "cases": (2190, "1aabb51575b54bb9db5a053489a654c61895ebb79690136c0304939fd3f9e4ea"),
    "small-1": (776836, "2119a854db49db437e4c38dff09ea6e077699a1d9b24cf0db440bd5095716a06"),
    "small-2": (780318, "a053af5dd0e4befa6574944db97dab9d960f6c4d40d5d26ca3fb65acac282ef5"),
}


def fill(store, content: str) -> None:
    if content == "cases":
        populate(store.engine)
    else:
        load_dataset(store, SCALES["small"], int(content.split("-")[1]))


@pytest.mark.parametrize("content", sorted(GOLDEN))
def test_same_bytes_as_the_per_row_writer(store, content: str, tmp_path: Path) -> None:
    fill(store, content)
    path = tmp_path / "cache.proto"
    ProtobufCacheWriter(resolver=fake_resolver, clock=lambda: EPOCH).write_blocking(store, path)
    data = path.read_bytes()
    assert (len(data), hashlib.sha256(data).hexdigest()) == GOLDEN[content]
