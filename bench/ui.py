"""Web UI benchmark: the public mirror list and a host page under wrk (20 connections), next to
a static file served by the same app, on the fedora-scale dataset, on SQLite and PostgreSQL.

    flock /tmp/bench.lock .venv/bin/python bench/ui.py [--dir bench-data/ui] [--duration 10]
        [--connections 20] [--backends sqlite,pg] [--pg-url URL] [--workers N]

The dataset is made by ``mirrormanager dataset --scale fedora`` (once per backend, kept in
``--dir`` for SQLite; PostgreSQL gets a database ``mmbench_ui`` on ``--pg-url``, default
``$MIRRORMANAGER_TEST_PG_URL``).  The UI runs as ``mirrormanager serve ui --workers N``
(hypercorn's trio worker in each process; N defaults to the machine's cores, as a deployment
would run it; ``--workers 1`` measures one process).  A user who administers the site of the host with the most
directories is created through the store and logs in over HTTP; its session cookie is given to
wrk for the host page.  The mirror list is measured twice: as served (the public pages are kept
in memory for ``[ui] public_cache_seconds``, 10 s by default) and with that cache off, so every
request reads the database.  Goal: p99 <= 150 ms for both pages, >= 0.3 x the static rate.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from mirrorlist import run_wrk  # bench/mirrorlist.py: the shared helpers

PASSWORD = "benchmark password"
PG_DEFAULT = os.environ.get("MIRRORMANAGER_TEST_PG_URL",
                            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def mirrormanager(config: Path, *args: str) -> None:
    exe = str(Path(sys.executable).parent / "mirrormanager")
    subprocess.run([exe, "--config", str(config), *args], check=True)


def prepare(backend: str, data: Path, pg_url: str) -> str:
    """The database URL of a fedora-scale dataset on ``backend`` (loaded once)."""
    if backend == "sqlite":
        database = data / "fedora-ui.db"
        url = f"sqlite:///{database}"
        if database.exists():
            return url
    else:
        server = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        with server.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = 'mmbench_ui'")).scalar()
            url = sa.make_url(pg_url).set(database="mmbench_ui").render_as_string(hide_password=False)
            if exists:
                probe = sa.create_engine(url, poolclass=sa.NullPool)
                try:
                    with probe.connect() as check:
                        if check.execute(sa.text("SELECT count(*) FROM host")).scalar():
                            return url
                except sa.exc.SQLAlchemyError:
                    pass
                finally:
                    probe.dispose()
                conn.exec_driver_sql('DROP DATABASE "mmbench_ui"')
            conn.exec_driver_sql('CREATE DATABASE "mmbench_ui"')
        server.dispose()
    config = data / f"load-{backend}.toml"
    config.write_text(f'[database]\nurl = "{url}"\n')
    started = time.monotonic()
    print(f"{backend}: loading the fedora-scale dataset ...", flush=True)
    mirrormanager(config, "db", "upgrade")
    mirrormanager(config, "dataset", "--scale", "fedora", "--seed", "1")
    print(f"{backend}: loaded in {time.monotonic() - started:.0f} s", flush=True)
    return url


def bench_user(url: str) -> tuple[int, int]:
    """A local user administering the site of the host with the most directories; returns
    ``(host id, number of its host_category_dir rows)``."""
    from mirrormanager_pg_store import schema as t
    from mirrormanager_pg_store.store import SqlStore

    from mmcore.accounts.passwords import hash_user_password

    store = SqlStore(url)
    try:
        store.upgrade()
        with store.engine.begin() as conn:
            hc, hcd, h = t.host_category, t.host_category_dir, t.host
            host_id, rows = conn.execute(
                sa.select(hc.c.host_id, sa.func.count().label("n"))
                .select_from(hcd.join(hc, hcd.c.host_category_id == hc.c.id))
                .group_by(hc.c.host_id).order_by(sa.text("n DESC")).limit(1)).one()
            site_id = conn.execute(sa.select(h.c.site_id).where(h.c.id == host_id)).scalar_one()
            conn.execute(sa.delete(t.mm_session))
            conn.execute(sa.delete(t.mm_user).where(t.mm_user.c.user_name == "benchowner"))
            conn.execute(sa.delete(t.site_admin).where(t.site_admin.c.username == "benchowner"))
            conn.execute(sa.insert(t.mm_user).values(
                user_name="benchowner", email_address="bench@example.org",
                password=hash_user_password(PASSWORD)))
            conn.execute(sa.insert(t.site_admin).values(site_id=site_id, username="benchowner"))
        return host_id, rows
    finally:
        store.close()


def serve(data: Path, url: str, cache_seconds: float,
          workers: int) -> tuple[subprocess.Popen[bytes], str]:
    config = data / "serve.toml"
    config.write_text(
        f'[database]\nurl = "{url}"\n[paths]\ndata_dir = "{data}"\n'
        f'[ui]\nsecret_key = "bench"\ncookie_secure = false\nlogin_failure_delay = 0.0\n'
        f'public_cache_seconds = {cache_seconds}\n')
    exe = str(Path(sys.executable).parent / "mirrormanager")
    process = subprocess.Popen([exe, "--config", str(config), "serve", "ui", "--listen",
                                "127.0.0.1:0", "--workers", str(workers)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()  # "Listening on URL" once every worker is ready
    if not line.startswith("Listening on "):
        process.kill()
        raise RuntimeError(f"serve ui said {line!r}")
    return process, line.split()[-1]


def login(base: str) -> str:
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        answer = client.post("/login", data={"username": "benchowner", "password": PASSWORD,
                                             "csrf_token": token})
        assert answer.status_code == 303, answer.text
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def wrk(url: str, duration: int, connections: int, cookie: str | None = None) -> dict[str, float]:
    if cookie is None:
        return run_wrk(url, duration, connections, None)
    script = Path(os.environ.get("TMPDIR", "/tmp")) / "ui-bench-cookie.lua"
    script.write_text(f'wrk.headers["Cookie"] = "{cookie}"\n')
    return run_wrk(url, duration, connections, script)


def line(name: str, result: dict[str, float], static: float) -> str:
    ratio = result["rps"] / static if static else float("nan")
    verdict = "met" if result["p99"] <= 150 and ratio >= 0.3 and not result["non2xx"] else "MISSED"
    return (f"  {name:<28} {result['rps']:8.1f} req/s  p50 {result['p50']:7.1f} ms  "
            f"p99 {result['p99']:7.1f} ms  = {ratio:4.2f} x static  non-2xx "
            f"{int(result['non2xx'])}  [{verdict}]")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=Path("bench-data/ui"))
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--backends", default="sqlite,pg")
    parser.add_argument("--pg-url", default=PG_DEFAULT)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="serve ui --workers (default: the machine's cores)")
    args = parser.parse_args()
    args.dir = args.dir.resolve()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {open('/proc/loadavg').read().strip()}")
    for backend in args.backends.split(","):
        url = prepare(backend, args.dir, args.pg_url)
        host_id, rows = bench_user(url)
        print(f"{backend}: host page of host {host_id} ({rows} host_category_dir rows); "
              f"{args.connections} connections, {args.duration} s each, {args.workers} UI worker(s)")
        for cache_seconds, label in ((10.0, "as served"), (0.0, "public cache off")):
            process, base = serve(args.dir, url, cache_seconds, args.workers)
            try:
                cookie = login(base)
                for path in ("/static/ui.css", "/mirrors", f"/host/{host_id}"):
                    httpx.get(base + path, headers={"Cookie": cookie}, timeout=30)  # warm
                static = wrk(f"{base}/static/ui.css", args.duration, args.connections)
                listing = wrk(f"{base}/mirrors", args.duration, args.connections)
                host = wrk(f"{base}/host/{host_id}", args.duration, args.connections, cookie)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            print(f" {backend}, {label}:")
            print(f"  {'static /static/ui.css':<28} {static['rps']:8.1f} req/s  "
                  f"p50 {static['p50']:7.1f} ms  p99 {static['p99']:7.1f} ms")
            print(line("public list /mirrors", listing, static["rps"]))
            print(line(f"host page /host/{host_id}", host, static["rps"]))
            print(f"  load average: {open('/proc/loadavg').read().strip()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
