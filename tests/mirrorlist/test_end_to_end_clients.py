"""End to end over real sockets: the database (built through the import and bulk load), the
cache written from it, the list server answering over HTTP, and real clients.

* the operator's path: ``mirrormanager import``, ``cache write`` and ``serve mirrorlist`` as
  subprocesses, answers checked over HTTP (SQLite and PostgreSQL);
* real metalink clients against mirrors served on 127.0.0.1: ``aria2c`` (Debian package
  ``aria2``), Python's librepo bindings (``python3-librepo``, run with the system python) and
  ``dnf`` (Debian package ``dnf``), each skipped with the reason when not installed.

No traffic leaves the machine: the metalinks these clients read only name 127.0.0.1 (hosts
whose URLs name other hosts are asked about with queries that never select them).
"""

from __future__ import annotations

import functools
import http.server
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import attrs
import httpx
import pytest
import trio
from e2e_data import (
    OS_SUB,
    REPOMD_NEW,
    REPOMD_TIMES,
    deployment_toml,
    digest,
    load_master_tree,
    populate,
    write_cache,
    write_side_files,
    yum_repo,
)
from system_tools import needs, needs_aria2c, needs_command

from mirrormanager_mirrorlist.config import MirrorlistConfig
from mirrormanager_mirrorlist.serving import Started, run_server

RA = "repo=fedora-40&arch=x86_64"
#: client behaviour does not depend on the backend; test_end_to_end.py covers both
sqlite_only = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
MIRRORMANAGER = str(Path(sys.executable).with_name("mirrormanager"))
SYSTEM_PYTHON = "/usr/bin/python3"


# ============================================================================================
# the operator's path: import, cache write, serve (subprocesses)
# ============================================================================================


def _sqlalchemy_url(store) -> str:
    return store.url.render_as_string(hide_password=False)


def _cli(config: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MIRRORMANAGER, "--config", str(config), *args], capture_output=True,
                          text=True, timeout=timeout, check=False)


async def _read_line_with(stream: trio.abc.ReceiveStream, needle: str, seen: list[str]) -> str:
    buffer = ""
    while True:
        chunk = await stream.receive_some(4096)
        if not chunk:
            raise AssertionError(f"process ended before printing {needle!r}: {''.join(seen)}")
        buffer += chunk.decode()
        seen.append(chunk.decode())
        for line in buffer.splitlines():
            if needle in line:
                return line


@sqlite_only
async def test_import_cache_write_and_serve_commands(store, tmp_path: Path) -> None:
    """``mirrormanager import`` + master tree + ``cache write`` + ``serve mirrorlist``: the
    answers over HTTP are the ones the service tests expect from the same data.  (SQLite only:
    three command start-ups cost seconds; test_end_to_end.py covers PostgreSQL's data.)"""
    config = tmp_path / "mirrormanager.toml"
    cache = tmp_path / "var" / "mirrorlist_cache.proto"
    config.write_text(f'[database]\nurl = "{_sqlalchemy_url(store)}"\n\n'
                      f'[mirrorlist]\ncache_path = "{cache}"\ndns_timeout = 1.0\n')
    deployment = tmp_path / "deployment.toml"
    deployment.write_text(deployment_toml())
    imported = await trio.to_thread.run_sync(lambda: _cli(config, "import", str(deployment)))
    assert imported.returncode == 0, imported.stderr
    load_master_tree(store)
    written = await trio.to_thread.run_sync(lambda: _cli(config, "cache", "write"))
    assert written.returncode == 0, written.stderr
    assert f"wrote {cache}" in written.stdout
    side = write_side_files(tmp_path, cache)

    process = await trio.lowlevel.open_process(
        [MIRRORMANAGER, "--config", str(config), "serve", "mirrorlist", "--listen",
         "127.0.0.1:0", "--minimum", "1", "--geoip", str(side.geoip),
         "--netblocks", str(side.netblocks),
         "--log", str(tmp_path / "access.log")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        seen: list[str] = []
        with trio.fail_after(20):
            line = await _read_line_with(process.stdout, "Listening on ", seen)
        base = line.split("Listening on ", 1)[1].strip()
        os_path = f"{OS_SUB}/"
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            r = await client.get(f"/mirrorlist?{RA}&ip=10.1.2.3&time")
            assert r.status_code == 200 and r.headers["content-type"] == "text/plain"
            generation = r.headers["x-mirrorlist-generation"].split("-")[0]
            assert r.text == (
                f"# repo = fedora-40 arch = x86_64 Using preferred netblock \n"
                f"# database creation time: {generation}\n"
                f"http://de1.alpha.example/fedora/{os_path}\n"
                f"http://cache.omega.example/fedora/{os_path}\n"
                f"http://mirror.corp.example/fedora/{os_path}\n"
            )
            # the client address from X-Forwarded-For, country overridden by netblock_country
            r = await client.get(f"/mirrorlist?{RA}", headers={"X-Forwarded-For": "172.16.5.5"})
            assert r.text == (f"# repo = fedora-40 arch = x86_64 country = JP \n"
                              f"http://jp1.delta.example/fedora/{os_path}\n")
            r = await client.get("/anything/mirrorlist?repo=f40-old&arch=x86_64&country=AT"
                                 "&redirect")
            assert (r.status_code, r.headers["location"]) == (
                302, f"https://at1.beta.example/fedora/{os_path}")
            r = await client.get("/mirrorlist?repo=nope&arch=x86_64")
            assert r.status_code == 404 and "content-type" not in r.headers
            assert r.text.endswith("# repo=updates-released-f40&arch=x86_64\n")
            r = await client.get(f"/metalink?{RA}&country=AT")
            assert (r.status_code, r.headers["content-type"]) == (200, "application/metalink+xml")
            assert f'<hash type="sha512">{digest("sha512", REPOMD_NEW)}</hash>' in r.text
            assert r.text.count("<mm0:alternate>") == 2
            assert (f'<url protocol="https" type="https" location="AT" preference="100">'
                    f"https://at1.beta.example/fedora/{os_path}repodata/repomd.xml</url>") in r.text
            r = await client.get("/healthz")
            assert r.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        with trio.move_on_after(10):
            await process.wait()
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, "".join(seen)
    log = (tmp_path / "access.log").read_text()
    assert "IP: 10.1.2.3; " in log and "COUNTRY: JP; REPO: fedora-40; ARCH: x86_64" in log


# ============================================================================================
# real metalink clients against loopback mirrors
# ============================================================================================


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@attrs.frozen
class Mirrors:
    """Loopback mirrors served by one HTTP server, each under ``/<name>/fedora``."""

    root: Path
    port: int

    def base(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}/fedora"

    def put_repo(self, name: str, files: dict[str, bytes]) -> None:
        repo = self.root / name / "fedora" / OS_SUB
        for relative, data in files.items():
            path = repo / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


@pytest.fixture
def mirrors(tmp_path: Path) -> Iterator[Mirrors]:
    root = tmp_path / "mirrors"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield Mirrors(root, server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


#: a real repository for the up-to-date mirrors; the stale mirror serves garbage
CURRENT_REPO = yum_repo(REPOMD_TIMES[0])
OLD_REPO = yum_repo(REPOMD_TIMES[2])


@attrs.frozen
class Served:
    metalink: str
    started: Started


async def serve_loopback_world(store, tmp_path: Path, mirrors: Mirrors,
                               nursery: trio.Nursery) -> tuple[Served, trio.Event]:
    """Two up-to-date mirrors and a stale one in New Zealand (only they are there), written to
    the database, cached, and served by the list server in this process."""
    loopback = [
        ("nz-good1.loop", "NZ", (mirrors.base("good1"), "rsync://127.0.0.1:9/good1")),
        ("nz-good2.loop", "NZ", (mirrors.base("good2"),)),
        # up2date = false for fedora-40 in host_category_dir: must never be handed out
        ("stale-nz.loop", "NZ", (mirrors.base("stale"),)),
    ]
    populate(store, loopback)
    cache = write_cache(store, tmp_path / "mirrorlist_cache.proto")
    side = write_side_files(tmp_path, cache)
    settings = MirrorlistConfig(cache_path=str(cache), listen="127.0.0.1:0",  # type: ignore[arg-type]
                                geoip=str(side.geoip), netblocks=str(side.netblocks),
                                access_log="", watch_interval=0, request_timeout=5.0,
                                keepalive_timeout=5.0)
    stop = trio.Event()
    started: Started = await nursery.start(
        functools.partial(run_server, settings, stop=stop, handle_signals=False))
    metalink = f"{started.url}/metalink?{RA}&country=NZ"
    return Served(metalink, started), stop




def _has_librepo() -> bool:
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import librepo"], capture_output=True,
                           timeout=30, check=False)
    return probe.returncode == 0


needs_librepo = needs(
    _has_librepo(), f"{SYSTEM_PYTHON} cannot import librepo (Debian package python3-librepo)")
needs_dnf = needs_command("dnf", "dnf")


async def _aria2c(url: str, out: Path) -> trio.Process:
    return await trio.run_process(
        ["aria2c", "--follow-metalink=mem", "--check-integrity=true", "--max-tries=1",
         "--dir", str(out), "--allow-overwrite=true", "--console-log-level=warn",
         "--summary-interval=0", "--connect-timeout=5", "--timeout=10", url],
        capture_stdout=True, capture_stderr=True, check=False,
    )


@sqlite_only
@needs_aria2c
async def test_aria2c_downloads_repomd_through_our_metalink(
    store, tmp_path: Path, mirrors: Mirrors, nursery: trio.Nursery
) -> None:
    mirrors.put_repo("good1", CURRENT_REPO)
    mirrors.put_repo("good2", CURRENT_REPO)
    mirrors.put_repo("stale", {"repodata/repomd.xml": b"not the current repomd.xml\n"})
    served, stop = await serve_loopback_world(store, tmp_path, mirrors, nursery)
    async with httpx.AsyncClient(timeout=5) as client:
        document = (await client.get(served.metalink)).text
    # the stale mirror is not in the document; both good ones are, and the rsync URL
    assert "/stale/" not in document
    assert f"{mirrors.base('good1')}/{OS_SUB}/repodata/repomd.xml" in document
    assert f"{mirrors.base('good2')}/{OS_SUB}/repodata/repomd.xml" in document
    assert f'<hash type="sha256">{digest("sha256", REPOMD_NEW)}</hash>' in document
    with trio.fail_after(30):
        result = await _aria2c(served.metalink, tmp_path / "download")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "download" / "repomd.xml").read_bytes() == REPOMD_NEW
    stop.set()


@sqlite_only
@needs_aria2c
async def test_aria2c_rejects_an_outdated_repomd(
    store, tmp_path: Path, mirrors: Mirrors, nursery: trio.Nursery
) -> None:
    """The hash aria2c checks is the newest file_detail's: mirrors serving an older
    repomd.xml (marked up to date in the database) make the download fail."""
    mirrors.put_repo("good1", OLD_REPO)
    mirrors.put_repo("good2", OLD_REPO)
    served, stop = await serve_loopback_world(store, tmp_path, mirrors, nursery)
    with trio.fail_after(30):
        result = await _aria2c(served.metalink, tmp_path / "download")
    assert result.returncode != 0
    stop.set()


LIBREPO_SCRIPT = """
import json, sys, librepo
handle = librepo.Handle()
handle.repotype = librepo.YUMREPO
handle.metalinkurl = sys.argv[1]
handle.destdir = sys.argv[2]
handle.checksum = True
handle.connecttimeout = 5
handle.maxmirrortries = 3
result = handle.perform()
info = {
    "metalink_urls": list(handle.metalink["urls"][i]["url"] for i in range(len(handle.metalink["urls"]))),
    "metalink_hashes": handle.metalink["hashes"],
    "alternates": len(handle.metalink["alternates"]),
    "repomd_revision": result.getinfo(librepo.LRR_YUM_REPOMD)["revision"],
    "files": sorted(result.getinfo(librepo.LRR_YUM_REPO).keys()),
}
print(json.dumps(info))
"""


async def _librepo(url: str, dest: Path) -> trio.Process:
    dest.mkdir(parents=True, exist_ok=True)
    return await trio.run_process(
        [SYSTEM_PYTHON, "-c", LIBREPO_SCRIPT, url, str(dest)],
        capture_stdout=True, capture_stderr=True, check=False,
    )


@sqlite_only
@needs_librepo
async def test_librepo_loads_the_repository_through_our_metalink(
    store, tmp_path: Path, mirrors: Mirrors, nursery: trio.Nursery
) -> None:
    import json

    mirrors.put_repo("good1", CURRENT_REPO)
    mirrors.put_repo("good2", CURRENT_REPO)
    mirrors.put_repo("stale", {"repodata/repomd.xml": b"garbage\n"})
    served, stop = await serve_loopback_world(store, tmp_path, mirrors, nursery)
    with trio.fail_after(60):
        result = await _librepo(served.metalink, tmp_path / "repo")
    assert result.returncode == 0, (result.stdout + result.stderr).decode()
    info = json.loads(result.stdout)
    assert info["repomd_revision"] == str(REPOMD_TIMES[0])
    assert info["alternates"] == 2
    assert {u.split("/")[3] for u in info["metalink_urls"] if u.startswith("http")} == {
        "good1", "good2"}
    # repomd.xml and the metadata it lists were downloaded and verified
    downloaded = tmp_path / "repo" / "repodata"
    assert (downloaded / "repomd.xml").read_bytes() == REPOMD_NEW
    for relative, data in CURRENT_REPO.items():
        if relative.endswith("primary.xml.gz"):
            assert (tmp_path / "repo" / relative).read_bytes() == data
    stop.set()


@sqlite_only
@needs_librepo
async def test_librepo_accepts_an_alternate_and_rejects_an_unknown_repomd(
    store, tmp_path: Path, mirrors: Mirrors, nursery: trio.Nursery
) -> None:
    """mm0:alternates are what lets a client accept a mirror one sync behind: librepo takes
    the oldest listed repomd.xml, and refuses one that is in no file_detail row."""
    import json

    mirrors.put_repo("good1", OLD_REPO)
    mirrors.put_repo("good2", OLD_REPO)
    served, stop = await serve_loopback_world(store, tmp_path, mirrors, nursery)
    with trio.fail_after(60):
        result = await _librepo(served.metalink, tmp_path / "repo")
    assert result.returncode == 0, (result.stdout + result.stderr).decode()
    assert json.loads(result.stdout)["repomd_revision"] == str(REPOMD_TIMES[2])
    unknown = yum_repo(REPOMD_TIMES[0] + 999)
    mirrors.put_repo("good1", unknown)
    mirrors.put_repo("good2", unknown)
    with trio.fail_after(60):
        result = await _librepo(served.metalink, tmp_path / "repo2")
    assert result.returncode != 0
    stop.set()


@sqlite_only
@needs_dnf
async def test_dnf_makecache_through_our_metalink(
    store, tmp_path: Path, mirrors: Mirrors, nursery: trio.Nursery
) -> None:
    mirrors.put_repo("good1", CURRENT_REPO)
    mirrors.put_repo("good2", CURRENT_REPO)
    mirrors.put_repo("stale", {"repodata/repomd.xml": b"garbage\n"})
    served, stop = await serve_loopback_world(store, tmp_path, mirrors, nursery)
    repos = tmp_path / "repos.d"
    repos.mkdir()
    (repos / "e2e.repo").write_text(
        "[e2e-fedora]\nname=end to end\n"
        f"metalink={served.metalink}\n"
        "enabled=1\ngpgcheck=0\nskip_if_unavailable=0\nmetadata_expire=0\n"
    )
    root = tmp_path / "root"
    for directory in ("log", "cache", "p"):
        (tmp_path / directory).mkdir()
    with trio.fail_after(90):
        result = await trio.run_process(
            ["dnf", "--installroot", str(root), "--releasever", "40", "--setopt",
             f"reposdir={repos}", "--setopt", f"cachedir={tmp_path / 'cache'}", "--setopt",
             "logdir=" + str(tmp_path / "log"), "--setopt", "persistdir=" + str(tmp_path / "p"),
             "--noplugins", "--disablerepo=*", "--enablerepo=e2e-fedora", "-y", "makecache"],
            capture_stdout=True, capture_stderr=True, check=False,
        )
    output = (result.stdout + result.stderr).decode()
    assert result.returncode == 0, output
    assert "Metadata cache created" in output
    cached = list((tmp_path / "cache").rglob("repomd.xml"))
    assert cached and cached[0].read_bytes() == REPOMD_NEW
    stop.set()
