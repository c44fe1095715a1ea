"""``mirrormanager crawl`` and ``crawl propagation`` through the command line, and the
propagation classification."""

from __future__ import annotations

import time

import sqlalchemy as sa
from crawl_db import (
    MirrorSpec,
    add_file_detail,
    add_repository,
    hcd_state,
    populate,
)
from crawl_trees import UPDATES, expected_hcds
from mirrormanager_pg_store import schema as t
from mirrormanager_pg_store.store import SqlStore

from crawl_cli import crawl_config, run_cli
from mmcore.crawl.propagation import DAY, classify




async def test_crawl_command(tmp_path, store_url, trees, http_mirrors):
    store = SqlStore(store_url)
    store.upgrade()
    ids = populate(store, trees.master_top, trees.directories, [
        MirrorSpec("stale.example", (http_mirrors.url("stale"),)),
        MirrorSpec("full.example", (http_mirrors.url("full"),)),
    ])
    config = crawl_config(tmp_path, store_url, auto_disable=2)

    code, out, err = await run_cli(["--config", config, "crawl", "--dry-run", "--concurrency", "2"])
    assert code == 0, err
    assert "crawled 2 hosts" in out and "dry run" in out
    assert set(hcd_state(store, ids["stale.example"]).values()) == {True}

    code, out, err = await run_cli(["--config", config, "crawl", "--host", str(ids["stale.example"])])
    assert code == 0, err
    assert "crawled 1 hosts" in out and "stale.example" in out and "3 not" in out
    assert hcd_state(store, ids["stale.example"]) == expected_hcds("stale", trees.directories, True)
    assert (tmp_path / "var" / "crawler" / f"{ids['stale.example']}.log").exists()
    assert "crawl: 1/1 hosts done" in err

    code, _, err = await run_cli(["--config", config, "crawl", "--continent", "XX"])
    assert code == 2 and "unknown continent" in err
    store.close()


async def test_results_that_cannot_be_saved_are_not_reported_as_ok(
    tmp_path, store_url, trees, http_mirrors
):
    """The crawl works, the writes fail: the summary says so and the command fails."""
    store = SqlStore(store_url)
    store.upgrade()
    populate(store, trees.master_top, trees.directories, [
        MirrorSpec("full.example", (http_mirrors.url("full"),)),
        MirrorSpec("stale.example", (http_mirrors.url("stale"),)),
    ])
    with store.engine.begin() as conn:  # every write of a host row is refused
        if store.dialect == "sqlite":
            conn.exec_driver_sql("CREATE TRIGGER no_writes BEFORE UPDATE ON host "
                                 "BEGIN SELECT RAISE(ABORT, 'host is read-only'); END")
        else:
            conn.exec_driver_sql("CREATE FUNCTION no_writes() RETURNS trigger AS $$ BEGIN "
                                 "RAISE EXCEPTION 'host is read-only'; END $$ LANGUAGE plpgsql")
            conn.exec_driver_sql("CREATE TRIGGER no_writes BEFORE UPDATE ON host "
                                 "FOR EACH ROW EXECUTE FUNCTION no_writes()")
    config = crawl_config(tmp_path, store_url, auto_disable=2)
    code, out, err = await run_cli(["--config", config, "crawl"])
    assert code == 1
    assert "0 ok, 0 failed" in out and "2 NOT RECORDED" in out
    assert out.count("NOT RECORDED: ") == 2 and "host is read-only" in out
    assert "2 hosts' results could not be recorded" in err and "Traceback" not in err
    store.close()


async def test_propagation_command(tmp_path, store_url, trees, http_mirrors):
    store = SqlStore(store_url)
    store.upgrade()
    populate(store, trees.master_top, trees.directories, [
        MirrorSpec("full.example", (http_mirrors.url("full"),)),
        MirrorSpec("stale.example", (http_mirrors.url("stale_same_size"),)),
        MirrorSpec("missing.example", (http_mirrors.url("missing_repo"),)),
    ])
    add_repository(store, trees.directories)
    repodata = next(d for d in trees.directories if d.path == UPDATES + "/repodata")
    # the master's previous repomd.xml (the stale mirror's) is a day and a half older
    stale_repomd = trees.mirrors["stale_same_size"] / UPDATES / "repodata" / "repomd.xml"
    import hashlib

    newest = int(time.time()) - 3600
    add_file_detail(store, repodata.directory_id, hashlib.sha256(stale_repomd.read_bytes()).hexdigest(),
                    newest - DAY - DAY // 2)
    config = crawl_config(tmp_path, store_url, auto_disable=2)
    code, out, err = await run_cli(["--config", config, "crawl", "propagation"])
    assert code == 0, err
    assert "updates-released-f40: same day 1, one day 1, two days 0, older 0, no info 1" in out
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(t.propagation_stat)).one()
    assert (row.same_day, row.one_day, row.no_info) == (1, 1, 1)
    store.close()


def test_classify():
    master = (("a" * 64, 10 * DAY), ("b" * 64, 9 * DAY - 1), ("c" * 64, 8 * DAY - 1), ("d" * 64, 6 * DAY))
    assert classify("A" * 64, master) == "same_day"
    assert classify("b" * 64, master) == "one_day"
    assert classify("c" * 64, master) == "two_day"
    assert classify("d" * 64, master) == "older"
    assert classify("e" * 64, master) == "older"
    assert classify(None, master) == "no_info"
