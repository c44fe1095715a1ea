"""Benchmark: report_mirror check-ins of a 5,000-directory private mirror, fedora-scale dataset,
SQLite and PostgreSQL.

    flock /tmp/bench.lock .venv/bin/python bench/checkin.py [--backends sqlite,pg] [--runs 10]

For each backend it makes sure a database holding ``mirrormanager dataset --scale fedora``
exists (made through the command line: ``db upgrade``, then ``dataset``), picks the first
private host carrying Fedora Linux and Fedora EPEL, gives its site a known password, and serves the real web app
(hypercorn, 127.0.0.1) in this process.  A client thread sends reports built as report_mirror
builds them (JSON, bzip2, urlsafe base64, ``xmlrpc.client``) over HTTP:

* ``first``: report A (5,000 directories: all of Fedora Linux and the first of Fedora EPEL)
  against what is stored (on a fresh dataset the host carries all of EPEL: 2,588 rows are
  deleted; on a later run, the state the previous run left);
* ``steady``: report A again and again (every directory known and up to date: what a nightly
  cron sends);
* ``churn``: reports B and A in turn (B shifted by 500 directories: 4,500 updated, 500 added,
  500 deleted each time).

The same steady and churn reports are then applied the way MirrorManager2's ``uploaded_config``
did (one lookup per directory, one commit per changed row), emulated on SQLAlchemy Core (faster
than MirrorManager2's ORM, so the ratio understates the difference).  It prints seconds per
check-in (median), check-ins per second (one client, one after the other), where the time goes
(decode, password hash, database), the ratio to the per-row emulation, and the goal
(<= 0.5 s per check-in).
"""

from __future__ import annotations

import argparse
import base64
import bz2
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import xmlrpc.client
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MM = str(REPO / ".venv" / "bin" / "mirrormanager")
DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
GOAL_SECONDS = 0.5
CATEGORIES = ("Fedora Linux", "Fedora EPEL")
REPORT_SIZE = 5000
SHIFT = 500
PASSWORD = "bench password"


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ---------------------------------------------------------------------------------------------
# databases, through the command line
# ---------------------------------------------------------------------------------------------


def ensure_pg_database(server_url: str, name: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with engine.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": name}).scalar()
        if not exists:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def ensure_dataset(url: str, config: Path) -> None:
    from mirrormanager_pg_store.store import SqlStore

    config.write_text(f'[database]\nurl = "{url}"\n')
    subprocess.run([MM, "--config", str(config), "-q", "db", "upgrade"], check=True,
                   stdout=subprocess.DEVNULL)
    store = SqlStore(url)
    try:
        loaded = store.table_counts().get("host_category_dir", 0) > 0
    finally:
        store.close()
    if not loaded:
        print(f"  loading `mirrormanager dataset --scale fedora` into {url} ...", flush=True)
        subprocess.run([MM, "--config", str(config), "-q", "dataset", "--scale", "fedora"],
                       check=True, stdout=subprocess.DEVNULL)


def prepare(store) -> tuple[str, str, list[tuple[str, str]]]:
    """(site name, host name, ``(category, path)`` of every directory of the categories); the
    first private host carrying all of ``CATEGORIES``; its site's password set."""
    import sqlalchemy as sa

    from mirrormanager_pg_store import schema as t
    from mmcore.passwords import hash_password

    h, s, hc, c, d, cd = t.host, t.site, t.host_category, t.category, t.directory, \
        t.category_directory
    with store.engine.begin() as conn:
        row = conn.execute(
            sa.select(h.c.id, h.c.name, s.c.id.label("site_id"), s.c.name.label("site"))
            .select_from(h.join(s, h.c.site_id == s.c.id).join(hc, hc.c.host_id == h.c.id)
                         .join(c, hc.c.category_id == c.c.id))
            .where(h.c.private.is_(True), c.c.name.in_(CATEGORIES))
            .group_by(h.c.id, h.c.name, s.c.id, s.c.name)
            .having(sa.func.count() == len(CATEGORIES))
            .order_by(h.c.id).limit(1)
        ).one()
        conn.execute(sa.update(s).where(s.c.id == row.site_id)
                     .values(password=hash_password(PASSWORD)))
        failures = t.mm_login_failure
        conn.execute(sa.delete(failures).where(failures.c.key.like("site:%")))
        entries = []
        for category in CATEGORIES:
            top = conn.execute(sa.select(d.c.name).select_from(c.join(d, c.c.topdir_id == d.c.id))
                               .where(c.c.name == category)).scalar_one()
            names = conn.execute(
                sa.select(d.c.name)
                .select_from(d.join(cd, cd.c.directory_id == d.c.id).join(c, cd.c.category_id
                                                                          == c.c.id))
                .where(c.c.name == category).order_by(d.c.name)
            ).scalars().all()
            entries += [(category, "" if n == top else n[len(top) + 1:]) for n in names
                        if n == top or n.startswith(top + "/")]
    if len(entries) < REPORT_SIZE + SHIFT:
        raise SystemExit(f"{CATEGORIES} have only {len(entries)} directories")
    return row.site, row.name, entries


def encode_report(site: str, host: str, entries: list[tuple[str, str]]) -> str:
    """report_mirror's payload: config dict -> json -> bz2 -> urlsafe base64."""
    config: dict = {
        "version": 0, "global": {"enabled": "1", "server": "http://x/xmlrpc"},
        "site": {"enabled": "1", "name": site, "password": PASSWORD},
        "host": {"enabled": "1", "name": host}, "stats": {},
    }
    for category, path in entries:
        config.setdefault(category.lower(), {"enabled": "1", "dirtree": {}})["dirtree"][path] = {}
    return base64.urlsafe_b64encode(bz2.compress(json.dumps(config).encode())).decode()


# ---------------------------------------------------------------------------------------------
# the server in this process, a client thread
# ---------------------------------------------------------------------------------------------


class Served:
    """The real web app on 127.0.0.1 (hypercorn's trio worker) in a background thread."""

    def __init__(self, store, data_dir: Path) -> None:
        self.store = store
        self.data_dir = data_dir
        self.url = ""
        self._ready = threading.Event()
        self._stop: object = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Served:
        self._thread.start()
        if not self._ready.wait(30):
            raise SystemExit("the server did not start")
        return self

    def __exit__(self, *_exc: object) -> None:
        self._token.run_sync_soon(self._stop.set)
        self._thread.join(30)

    def _run(self) -> None:
        import trio
        from hypercorn.config import Config as HypercornConfig
        from hypercorn.trio import serve

        import attrs

        from mirrormanager_quart_ui.app import create_app
        from mirrormanager_quart_ui.config import UiConfig
        from mmcore.cli import collect_config_sections
        from mmcore.config import load_config
        from mmcore.plugins import get_plugin_manager
        from mmcore.runtime import Runtime

        async def main() -> None:
            self._stop = trio.Event()
            self._token = trio.lowlevel.current_trio_token()
            config = HypercornConfig()
            config.bind = ["127.0.0.1:0"]
            config.accesslog = None
            config.errorlog = None
            pm = get_plugin_manager()
            loaded = load_config(None, collect_config_sections(pm))
            ui = UiConfig(secret_key="bench", cookie_secure=False)
            runtime = Runtime(attrs.evolve(loaded, sections={**loaded.sections, "ui": ui},
                                           paths=attrs.evolve(loaded.paths,
                                                              data_dir=str(self.data_dir))),
                              pm, store=self.store)
            app = create_app(runtime)
            async with trio.open_nursery() as nursery:
                binds = await nursery.start(lambda task_status: serve(
                    app, config, shutdown_trigger=self._stop.wait, task_status=task_status))
                self.url = binds[0] + "/xmlrpc"
                self._ready.set()

        trio.run(main)


def summary(answer: str) -> str:
    """The server's answer on one line."""
    return " | ".join(answer.splitlines())


def timed_checkin(url: str, data: str) -> tuple[float, str]:
    started = time.perf_counter()
    with xmlrpc.client.ServerProxy(url) as proxy:
        answer = proxy.checkin(data)
    return time.perf_counter() - started, answer


# ---------------------------------------------------------------------------------------------
# where the time goes, and MirrorManager2's way
# ---------------------------------------------------------------------------------------------


def components(store, data: str) -> dict[str, float]:
    """Decode, password hash and the store's part of one check-in, timed one by one."""
    from mmcore.checkin.config import CheckinConfig
    from mmcore.checkin.payload import decode_payload
    from mmcore.checkin.plan import plan_category
    from mmcore.checkin.report import read_report
    from mmcore.checkin.service import check_password, utcnow
    from mmcore.checkin.store import HostCheckinUpdate

    limits = CheckinConfig()
    t0 = time.perf_counter()
    report = read_report(decode_payload(data, max_payload_bytes=limits.max_payload_bytes,
                                        max_containers=limits.max_directories + 1024),
                         max_directories=limits.max_directories)
    t1 = time.perf_counter()
    site = store.find_checkin_site(report.site_name, report.host_name)
    check_password(report.password, site.password)
    t2 = time.perf_counter()
    reported = {c.key: c.paths for c in report.categories}
    states = store.checkin_categories(site.host.id, reported)
    changes = tuple(plan_category(s, reported[s.key]) for s in states)
    store.apply_checkin(HostCheckinUpdate(site.id, site.host.id, utcnow(), None, changes))
    t3 = time.perf_counter()
    return {"decode": t1 - t0, "password": t2 - t1, "database": t3 - t2}


def mm2_per_row(store, host: str, site: str, entries: list[tuple[str, str]]) -> float:
    """MirrorManager2's ``uploaded_config`` loop on SQLAlchemy Core: a lookup per directory, a
    commit per changed row."""
    import sqlalchemy as sa

    from mirrormanager_pg_store import schema as t
    from mmcore.checkin.service import utcnow

    h, s, hc, c, d, hcd = t.host, t.site, t.host_category, t.category, t.directory, \
        t.host_category_dir
    started = time.perf_counter()
    with store.engine.connect() as conn:
        for category in CATEGORIES:
            paths = [path for name, path in entries if name == category]
            row = conn.execute(
                sa.select(h.c.id, hc.c.id.label("hc_id"), d.c.name.label("topdir"))
                .select_from(h.join(s, h.c.site_id == s.c.id).join(hc, hc.c.host_id == h.c.id)
                             .join(c, hc.c.category_id == c.c.id)
                             .join(d, c.c.topdir_id == d.c.id))
                .where(s.c.name == site, h.c.name == host, c.c.name == category)
            ).one()
            conn.commit()
            for path in paths:
                found = conn.execute(sa.select(hcd.c.id, hcd.c.up2date).where(
                    hcd.c.host_category_id == row.hc_id, hcd.c.path == path)).first()
                if found is not None:
                    if not found.up2date:
                        conn.execute(sa.update(hcd).where(hcd.c.id == found.id)
                                     .values(up2date=True))
                        conn.commit()
                    continue
                name = f"{row.topdir}/{path}" if path else row.topdir
                directory = conn.execute(sa.select(d.c.id).where(d.c.name == name)).scalar()
                if directory is not None:
                    conn.execute(sa.insert(hcd).values(host_category_id=row.hc_id, path=path,
                                                       up2date=True, directory_id=directory))
                    conn.commit()
            allowed = set(paths)
            for row_id, path in conn.execute(sa.select(hcd.c.id, hcd.c.path).where(
                    hcd.c.host_category_id == row.hc_id)).all():
                if path not in allowed:
                    conn.execute(sa.delete(hcd).where(hcd.c.id == row_id))
                    conn.commit()
            conn.execute(sa.update(h).where(h.c.id == row.id).values(last_checked_in=utcnow()))
            conn.commit()
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------
# one backend
# ---------------------------------------------------------------------------------------------


def bench_backend(url: str, runs: int, mm2_runs: int, data_dir: Path) -> dict:
    from mirrormanager_pg_store.store import SqlStore

    store = SqlStore(url)
    try:
        site, host, paths = prepare(store)
        report_a, report_b = paths[:REPORT_SIZE], paths[SHIFT:SHIFT + REPORT_SIZE]
        data_a, data_b = encode_report(site, host, report_a), encode_report(site, host, report_b)
        result: dict = {"host": host, "payload_bytes": len(data_a)}
        with Served(store, data_dir) as served:
            first, answer = timed_checkin(served.url, data_a)
            result["first"] = (first, summary(answer))
            steady = [timed_checkin(served.url, data_a) for _ in range(runs)]
            churn = [timed_checkin(served.url, data_b if i % 2 == 0 else data_a)
                     for i in range(runs)]
        result["steady"] = [x[0] for x in steady]
        result["churn"] = [x[0] for x in churn]
        result["steady_answer"] = summary(steady[-1][1])
        result["churn_answer"] = summary(churn[0][1])
        parts = [components(store, data_a) for _ in range(3)]
        result["components"] = {k: statistics.median(p[k] for p in parts) for k in parts[0]}
        result["mm2_steady"] = [mm2_per_row(store, host, site, report_a) for _ in range(mm2_runs)]
        result["mm2_churn"] = [mm2_per_row(store, host, site, report_b if i % 2 == 0 else report_a)
                               for i in range(mm2_runs)]
    finally:
        store.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,pg")
    parser.add_argument("--runs", type=int, default=10, help="check-ins per scenario")
    parser.add_argument("--mm2-runs", type=int, default=4,
                        help="per-row emulation runs per scenario")
    parser.add_argument("--data-dir", type=Path, default=REPO / "var" / "bench")
    parser.add_argument("--pg-server", default=os.environ.get("MIRRORMANAGER_BENCH_PG_URL",
                                                              DEFAULT_PG_SERVER))
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {loadavg()}", flush=True)
    results = {}
    for backend in args.backends.split(","):
        db_name = "checkin_bench_fedora_1"
        if backend == "sqlite":
            url = f"sqlite:///{args.data_dir / (db_name + '.db')}"
        elif backend == "pg":
            url = ensure_pg_database(args.pg_server, db_name)
        else:
            raise SystemExit(f"unknown backend {backend!r}")
        ensure_dataset(url, args.data_dir / f"checkin_{backend}.toml")
        print(f"  {backend}: measuring ...", flush=True)
        results[backend] = bench_backend(url, args.runs, args.mm2_runs, args.data_dir)

    print(f"\nreport_mirror check-in, fedora-scale dataset, {REPORT_SIZE} directories of "
          f"{' + '.join(CATEGORIES)}, {args.runs} check-ins per scenario (median), {os.cpu_count()} CPUs")
    ok = True
    for backend, r in results.items():
        print(f"  {backend}: host {r['host']}, payload {r['payload_bytes']} bytes of base64")
        print(f"    first check-in {r['first'][0]:.3f} s  ({r['first'][1]})")
        print(f"    steady: {r['steady_answer']}")
        print(f"    churn:  {r['churn_answer']}")
        print(f"    {'scenario':8} {'s/check-in':>11} {'check-ins/s':>12} {'per-row s':>10} "
              f"{'per-row/ours':>13}   goal (<= {GOAL_SECONDS} s)")
        for scenario in ("steady", "churn"):
            ours = statistics.median(r[scenario])
            theirs = statistics.median(r[f"mm2_{scenario}"])
            met = ours <= GOAL_SECONDS
            ok &= met
            print(f"    {scenario:8} {ours:11.3f} {1 / ours:12.1f} {theirs:10.3f} "
                  f"{theirs / ours:13.1f}   {'met' if met else 'MISSED'}")
        parts = r["components"]
        print("    one steady check-in in parts (median of 3, no HTTP): " + ", ".join(
            f"{k} {v * 1000:.0f} ms" for k, v in parts.items()))
    print(f"load average after: {loadavg()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
