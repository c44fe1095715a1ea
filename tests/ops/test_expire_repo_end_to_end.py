"""``expire-repo`` end to end: the mirror still serving the old repomd.xml is in the list
server's answer for the repository before, and out of the next cache's answer after."""

from __future__ import annotations

import random
from pathlib import Path

from ops_data import populate, run_cli, write_config

from mirrormanager_mirrorlist.app import ListService
from mirrormanager_mirrorlist.inputs import InputPaths, Inputs

SUB = "releases/40/Everything/x86_64/os"
FRESH = f"http://127.0.0.11/fedora/{SUB}/"
STALE = f"http://127.0.0.12/fedora/{SUB}/"
MASTER = f"https://127.0.0.13/pub/fedora/linux/{SUB}/"


def answer(config: Path, cache: Path, query: str) -> set[str]:
    status, _, err = run_cli(config, "cache", "write", "-o", str(cache))
    assert status == 0, err
    inputs = Inputs(InputPaths(cache=cache))
    inputs.load_all()
    service = ListService(inputs, minimum=5, rng=random.Random(1), clock=lambda: 1.7e9)
    reply = service.answer("/mirrorlist", query, None, "127.0.0.1")
    assert reply.status == 200, reply.body
    return {line for line in reply.body.splitlines() if not line.startswith("#")}


def test_expire_repo_drops_the_stale_mirror_from_the_next_cache(store, store_url: str,
                                                                tmp_path: Path) -> None:
    populate(store)
    config = write_config(tmp_path, store_url)
    cache = tmp_path / "mirrorlist_cache.proto"
    query = "repo=fedora-40&arch=x86_64"
    assert answer(config, cache, query) == {FRESH, STALE, MASTER}

    status, out, _ = run_cli(config, "expire-repo", "Fedora", "40")
    assert status == 0 and "mirrors_marked_stale=4" in out

    assert answer(config, cache, query) == {FRESH, MASTER}
    # the version's other repository lost the stale mirror too
    assert len(answer(config, cache, "repo=updates-released-f40&arch=x86_64")) == 2
