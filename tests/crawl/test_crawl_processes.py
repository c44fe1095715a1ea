"""``mirrormanager crawl --processes N``, ``--fraction A:B`` and ``--startid/--stopid``: real
child processes crawling the simulated HTTP mirrors on 127.0.0.1 into SQLite and PostgreSQL."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap

import psutil
import pytest
import sqlalchemy as sa
import trio
from crawl_db import MirrorSpec, hcd_state, populate
from crawl_trees import expected_hcds
from mirrormanager_devtools.loopback import free_port
from mirrormanager_pg_store import schema as t
from mirrormanager_pg_store.store import SqlStore

from crawl_cli import crawl_config, run_cli
from mmcore.crawl.processes import ChildrenOutcome, exit_status, run_children, split_concurrency
from mmcore.crawl.slices import Fraction, HostRange
from mmcore.crawl.store import HostTarget

HOST_TIMEOUT = "2"




def _refused_url() -> str:
    """A port nothing listens on (connection refused: the host's crawl fails)."""
    port = free_port()
    return f"http://127.0.0.1:{port}/none/fedora/linux"


def _alias(http_mirrors, kind: str, name: str) -> str:
    """Another mirror name for the ``kind`` site (host URLs must be unique)."""
    http_mirrors.server.sites[name] = http_mirrors.server.sites[kind]
    return http_mirrors.url(name)


def _mirrors(http_mirrors) -> list[MirrorSpec]:
    return [
        MirrorSpec("full.example", (http_mirrors.url("full"),)),
        MirrorSpec("stale.example", (http_mirrors.url("stale"),)),
        MirrorSpec("missing.example", (http_mirrors.url("missing_repo"),)),
        MirrorSpec("hang.example", (http_mirrors.url("hang"),)),
        MirrorSpec("refused.example", (_refused_url(),)),
        MirrorSpec("full2.example", (_alias(http_mirrors, "full", "full2"),)),
    ]


def _verdicts(store: SqlStore, ids: dict[str, int]) -> dict[str, tuple]:
    """Everything a crawl decides, per host: directory states, failures, enabled."""
    with store.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(sa.select(t.host)).all()}
    return {
        name: (hcd_state(store, hid), rows[hid].crawl_failures, rows[hid].user_active,
               rows[hid].last_crawled is not None)
        for name, hid in ids.items()
    }


def _reset(store: SqlStore) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.update(t.host_category_dir).values(up2date=True))
        conn.execute(sa.update(t.host).values(crawl_failures=0, user_active=True,
                                              disable_reason=None, last_crawled=None))


def _host_lines(out: str) -> dict[int, str]:
    return {int(m.group(1)): m.group(2)
            for m in re.finditer(r"^\s+(\d+) (\S+)\s", out, re.MULTILINE)}


async def test_processes_give_the_same_verdicts(tmp_path, store_url, trees, http_mirrors):
    store = SqlStore(store_url)
    store.upgrade()
    ids = populate(store, trees.master_top, trees.directories, _mirrors(http_mirrors))
    config = crawl_config(tmp_path, store_url, auto_disable=0)
    crawl = ["--config", config, "crawl", "--timeout", HOST_TIMEOUT, "--concurrency", "4"]

    code, out1, err = await run_cli([*crawl, "--processes", "1"])
    assert code == 0, err
    one = _verdicts(store, ids)
    assert one["stale.example"][0] == expected_hcds("stale", trees.directories, True)
    assert one["missing.example"][0] == expected_hcds("missing_repo", trees.directories, True)
    assert set(one["full.example"][0].values()) == {True}
    assert set(one["hang.example"][0].values()) == {False}  # timed out: all not up to date
    assert one["hang.example"][1] == 1 and one["refused.example"][1] == 1

    _reset(store)
    code, out2, err = await run_cli([*crawl, "--processes", "2"])
    assert code == 0, err
    assert _verdicts(store, ids) == one
    # one merged summary and one display over both children
    assert "crawled 6 hosts" in out2 and "(2 processes)" in out2
    assert "4 ok, 1 failed, 1 timed out" in out2
    assert _host_lines(out2) == _host_lines(out1)
    assert "crawl: 6/6 hosts done, 0 running, 2 failed" in err
    # every child wrote its hosts' logs
    assert {p.name for p in (tmp_path / "var" / "crawler").iterdir()} == {
        f"{hid}.log" for hid in ids.values()}

    _reset(store)
    code, out3, err = await run_cli([*crawl, "--processes", "2", "--dry-run",
                                   "--startid", str(ids["stale.example"]),
                                   "--stopid", str(ids["hang.example"])])
    assert code == 0, err
    assert "crawled 2 hosts" in out3 and "dry run" in out3
    assert set(_host_lines(out3)) == {ids["stale.example"], ids["missing.example"]}
    assert all(state[1] == 0 and not state[3] for state in _verdicts(store, ids).values())
    store.close()


async def test_fractions_partition_the_hosts(tmp_path, store_url, trees, http_mirrors):
    store = SqlStore(store_url)
    store.upgrade()
    mirrors = [MirrorSpec(f"m{i}.example", (_alias(http_mirrors, "full", f"m{i}"),)) for i in range(7)]
    ids = populate(store, trees.master_top, trees.directories, mirrors)
    config = crawl_config(tmp_path, store_url, auto_disable=0)
    for slices in (2, 3):
        seen: list[int] = []
        parts = []
        for part in range(1, slices + 1):
            code, out, err = await run_cli(["--config", config, "crawl", "--dry-run",
                                          "--fraction", f"{part}:{slices}"])
            assert code == 0, err
            parts.append(sorted(_host_lines(out)))
            seen += parts[-1]
        assert sorted(seen) == sorted(ids.values())  # every host exactly once
        # contiguous slices of the sorted ids, MirrorManager2's sizes (the last takes the rest)
        assert [len(p) for p in parts] == [7 // slices] * (slices - 1) + [7 - 7 // slices * (slices - 1)]
        assert all(a[-1] < b[0] for a, b in zip(parts, parts[1:]))
    store.close()


def test_host_range_select():
    def hosts(ids):
        return [HostTarget(i, f"h{i}", "DE", False, True, 0, 0, ()) for i in ids]

    for count in range(0, 12):
        ids = list(range(10, 10 + 3 * count, 3))
        for slices in range(1, 6):
            chosen = [h.id for part in range(1, slices + 1)
                      for h in HostRange(fraction=Fraction(part, slices)).select(hosts(ids[::-1]))]
            assert sorted(chosen) == ids
    # range first, then the fraction of what is left; order kept (slowest first)
    assert [h.id for h in HostRange(start_id=3, stop_id=8, fraction=Fraction(2, 2))
            .select(hosts([9, 7, 5, 3, 1]))] == [7, 5]
    assert Fraction.parse("2:3") == Fraction(2, 3)
    for bad in ("0:2", "3:2", "1:0", "x", "1", "a:b"):
        with pytest.raises(ValueError):
            Fraction.parse(bad)


@pytest.mark.parametrize("options, message", [
    (["--fraction", "1:2", "--startid", "3"], "--fraction cannot be used with --startid"),
    (["--fraction", "2:2", "--stopid", "3"], "--fraction cannot be used with --startid"),
    (["--fraction", "3:2"], "need 1 <= A <= B"),
    (["--fraction", "half"], "expected A:B"),
    (["--startid", "5", "--stopid", "5"], "--stopid 5 must be greater"),
    (["--processes", "0"], "--processes must be at least 1"),
    (["--processes", "2", "--fraction", "1:2"], "--fraction cannot be used with --processes"),
    (["--processes", "3", "--concurrency", "2"], "needs --concurrency of at least 3"),
    (["--processes", "2", "--continent", "XX"], "unknown continent"),
])
async def test_bad_options(tmp_path, options, message):
    config = crawl_config(tmp_path, f"sqlite:///{tmp_path / 'mm.db'}", auto_disable=0)
    code, out, err = await run_cli(["--config", config, "crawl", *options])
    assert code == 2 and message in err, err


async def test_sigint_leaves_no_child(tmp_path, store_url, trees, http_mirrors):
    store = SqlStore(store_url)
    store.upgrade()
    populate(store, trees.master_top, trees.directories, [
        MirrorSpec(f"hang{i}.example", (_alias(http_mirrors, "hang", f"hang{i}"),)) for i in range(4)
    ])
    store.close()
    config = crawl_config(tmp_path, store_url, auto_disable=0)
    process = await trio.lowlevel.open_process(
        [sys.executable, "-m", "mmcore.cli", "--config", config, "crawl", "--processes", "2",
         "--timeout", "60"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        err = b""
        with trio.fail_after(30):
            # both children started and reported their hosts: "0/4 hosts done"
            while b"0/4 hosts done" not in err:
                err += await process.stderr.receive_some(4096)
        children = psutil.Process(process.pid).children(recursive=True)
        assert len(children) == 2
        process.send_signal(signal.SIGINT)
        with trio.fail_after(20):
            await process.wait()
        assert process.returncode == 130
        for child in children:
            assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await process.stderr.aclose()


CHILD = textwrap.dedent("""
    import json, os, sys
    fd, status, verdict = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    with os.fdopen(fd, "w") as pipe:
        def send(m): pipe.write(json.dumps(m) + "\\n")
        send({"event": "started", "total": 1})
        send({"event": "host_started", "host": status})
        send({"event": "host_finished", "result": {"host_id": status + 1,
              "host_name": "h", "status": verdict, "duration": 0.1, "reason": "r"}})
        pipe.write("not json\\n")
    sys.exit(status)
""")


async def test_merged_summary_and_worst_status():
    """Two real child processes speaking the progress protocol: one ok, one failing its host
    and exiting 1; the parent merges both and exits with the worst status."""
    plans = {1: (0, "ok"), 2: (1, "failed")}
    finished = []

    class Monitor:
        def started(self, total: int) -> None:
            finished.append(("total", total))

        def host_started(self, host: object) -> None:
            pass

        def host_finished(self, result) -> None:
            finished.append(result.status.value)

    outcome: ChildrenOutcome = await run_children(
        lambda index, fd: [sys.executable, "-c", CHILD, str(fd), str(plans[index][0]),
                           plans[index][1]],
        [1, 1], 10.0, Monitor(),
    )
    assert outcome.exit_status == 1
    assert outcome.summary.hosts == 2
    assert sorted(r.status.value for r in outcome.summary.results) == ["failed", "ok"]
    assert sorted(c.bad_lines for c in outcome.children) == [1, 1]
    assert ("total", 2) in finished
    assert exit_status(-signal.SIGKILL) == 137 and exit_status(0) == 0
    assert split_concurrency(5, 2) == [3, 2] and split_concurrency(100, 3) == [34, 33, 33]
