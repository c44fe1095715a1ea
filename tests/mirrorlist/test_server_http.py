"""The list server on a real socket: keep-alive, limits, bad input, floods, reload under load,
several worker processes, and a real metalink client (aria2c)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import attrs
import httpx
import pytest
import trio
from listserver_data import (
    CACHE_TIME,
    OS,
    SUB,
    many_directories,
    with_invalid_utf8,
    world,
    write_inputs,
)
from listserver_process import server_process
from system_tools import needs_aria2c

from mirrormanager_devtools.loopback import free_port
from mirrormanager_mirrorlist import mirrormanager_pb2 as pb
from mirrormanager_mirrorlist.builder import CacheBuilder
from mmcore.atomic import write_atomically
from mirrormanager_mirrorlist.config import MirrorlistConfig
from mirrormanager_mirrorlist.serving import Started, run_server

RA = "repo=fedora-40&arch=x86_64"
NORMAL = f"/mirrorlist?{RA}&country=us"
NORMAL_BODY = f"# repo = fedora-40 arch = x86_64 country = us \nhttp://us.example/pub/{SUB}/\n"


def settings_for(directory: Path, **changes: object) -> MirrorlistConfig:
    paths = write_inputs(directory)
    base = MirrorlistConfig(
        cache_path=str(paths.cache),
        listen="127.0.0.1:0",  # type: ignore[arg-type]  (the converter makes it a tuple)
        geoip=str(paths.geoip),
        netblocks=str(paths.netblocks),
        access_log=str(directory / "access.log"),
        watch_interval=0.1,
        request_timeout=0.5,
        keepalive_timeout=2.0,
        max_connections=20,
    )
    return attrs.evolve(base, **changes)  # type: ignore[arg-type]


async def start(nursery: trio.Nursery, settings: MirrorlistConfig) -> tuple[Started, trio.Event]:
    stop = trio.Event()
    started: Started = await nursery.start(
        partial(run_server, settings, stop=stop, handle_signals=False)
    )
    return started, stop


async def raw(port: int, data: bytes, *, timeout: float = 5) -> bytes:
    """Send bytes, read until the server closes (or the timeout)."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    received = b""
    async with stream:
        await stream.send_all(data)
        with trio.move_on_after(timeout):
            while True:
                chunk = await stream.receive_some(65536)
                if not chunk:
                    break
                received += chunk
    return received


def request(target: str, *headers: str, close: bool = True) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: test", *headers]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def normal_request_answers(port: int) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(f"http://127.0.0.1:{port}{NORMAL}")
    assert response.status_code == 200
    assert response.text == NORMAL_BODY


async def test_answers_keep_alive_pipelining_and_head(tmp_path: Path, nursery: trio.Nursery) -> None:
    started, stop = await start(nursery, settings_for(tmp_path))
    async with httpx.AsyncClient(timeout=5) as client:
        for _ in range(3):
            response = await client.get(f"{started.url}{NORMAL}")
            assert response.status_code == 200
            assert response.text == NORMAL_BODY
            assert response.headers["content-type"] == "text/plain"
            assert response.headers["x-mirrorlist-generation"].startswith(f"{CACHE_TIME}-")
        health = await client.get(f"{started.url}/healthz")
        assert health.status_code == 200
    two = request(NORMAL, close=False) + request(NORMAL)
    answer = await raw(started.port, two)
    assert answer.count(b"HTTP/1.1 200 OK") == 2
    assert answer.endswith(NORMAL_BODY.encode())
    head = await raw(started.port, request(NORMAL).replace(b"GET", b"HEAD", 1))
    assert head.startswith(b"HTTP/1.1 200 OK") and head.endswith(b"\r\n\r\n")
    assert f"Content-Length: {len(NORMAL_BODY)}".encode() in head
    stop.set()


async def test_bad_input_then_normal_request(tmp_path: Path, nursery: trio.Nursery) -> None:
    started, stop = await start(nursery, settings_for(tmp_path))
    port = started.port
    cases = [
        (b"\x16\x03\x01\x02\x00garbage\r\n\r\n", b"HTTP/1.1 400"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nbroken header line\r\n\r\n", b"HTTP/1.1 400"),
        (request("/mirrorlist?" + "a=b&" * 30_000), b"HTTP/1.1 414"),
        (request(NORMAL, "X-Big: " + "y" * 40_000), b"HTTP/1.1 431"),
        (request(NORMAL, *[f"X-{i}: {i}" for i in range(200)]), b"HTTP/1.1 431"),
        (request(f"/mirrorlist?{RA}&ip=999.1.1.1"), b"HTTP/1.1 500"),
        (request(f"/mirrorlist?{RA}", "X-Forwarded-For: nonsense"), b"HTTP/1.1 500"),
        (request(f"/mirrorlist?{RA}&ip=fe80::1%25eth0"), b"HTTP/1.1 500"),
        (request("/mirrorlist?repo=nope&arch=x"), b"HTTP/1.1 404"),
        (request("/mirrorlist?%ff%00&&&===&repo&arch"), b"HTTP/1.1 404"),
        (request("/mirrorlist?\xff\xfe".encode("latin-1").decode("latin-1")), b"HTTP/1.1"),
        (b"POST /mirrorlist?" + RA.encode() + b"&country=us HTTP/1.1\r\nHost: x\r\n"
         b"Content-Length: 999999\r\nConnection: close\r\n\r\n" + b"z" * 70_000, b"HTTP/1.1 413"),
    ]
    for data, expected in cases:
        answer = await raw(port, data)
        assert answer.startswith(expected), (data[:60], answer[:200])
        assert b"internal error" not in answer  # never the handler-exception answer
        await normal_request_answers(port)
    # X-Forwarded-For with a valid last element is used
    answer = await raw(port, request(f"/mirrorlist?{RA}", "X-Forwarded-For: 10.9.9.9, 198.51.100.7"))
    assert f"country = US country = global \nhttp://us.example/pub/{SUB}/\n".encode() in answer
    stop.set()


async def test_slow_and_half_open_clients(tmp_path: Path, nursery: trio.Nursery) -> None:
    started, stop = await start(nursery, settings_for(tmp_path))
    port = started.port
    # slowloris: a request that never completes is cut at the read deadline (0.5 s)
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    await stream.send_all(b"GET /mirrorlist?repo=fedora-40 HTTP/1.1\r\nHost: x\r\n")
    with trio.fail_after(3):
        answer = b""
        while chunk := await stream.receive_some(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408")
    await stream.aclose()
    # half-open: connects, sends nothing, is closed after the idle deadline (2 s)
    silent = await trio.open_tcp_stream("127.0.0.1", port)
    await normal_request_answers(port)
    with trio.fail_after(5):
        assert await silent.receive_some(10) == b""
    await silent.aclose()
    # a client that goes away mid-request does no harm
    gone = socket.create_connection(("127.0.0.1", port))
    gone.sendall(b"GET /mirrorlist?" + RA.encode())
    gone.close()
    await normal_request_answers(port)
    stop.set()


async def test_connection_flood_is_bounded(tmp_path: Path, nursery: trio.Nursery) -> None:
    started, stop = await start(nursery, settings_for(tmp_path))
    flood = []
    for _ in range(200):  # ten times max_connections
        flood.append(await trio.open_tcp_stream("127.0.0.1", started.port))
    await trio.sleep(0.2)
    with trio.fail_after(5):
        await normal_request_answers(started.port)
    for stream in flood:
        await stream.aclose()
    await normal_request_answers(started.port)
    stop.set()


async def test_healthz_and_late_cache(tmp_path: Path, nursery: trio.Nursery) -> None:
    settings = settings_for(tmp_path)
    cache = Path(settings.cache_path)
    saved = cache.read_bytes()
    cache.unlink()
    started, stop = await start(nursery, attrs.evolve(settings, allow_missing_cache=True))
    async with httpx.AsyncClient(timeout=5) as client:
        assert (await client.get(f"{started.url}/healthz")).status_code == 503
        assert (await client.get(f"{started.url}{NORMAL}")).status_code == 503
        write_atomically(cache, saved)
        with trio.fail_after(5):
            while (await client.get(f"{started.url}/healthz")).status_code != 200:
                await trio.sleep(0.05)
        assert (await client.get(f"{started.url}{NORMAL}")).text == NORMAL_BODY
    stop.set()


async def test_reload_under_load(tmp_path: Path) -> None:
    """Four clients keep asking while the cache file is replaced by a new generation, then by
    files that must all be rejected -- truncated, garbage, a missing required field, a URL and a
    repo/arch key that are not UTF-8 -- and is then truncated in place, twice: no request fails,
    and the generation stays the last good one.  The server is a process of its own (a worker
    killed by SIGBUS would otherwise take the test run with it)."""
    paths = write_inputs(tmp_path, many_directories())
    cache = paths.cache
    #: per client, the generations its answers carried, in order, repeats dropped (answers of
    #: different clients may arrive out of order around the reload, those of one client not)
    seen: dict[int, list[str]] = {}
    failures: list[str] = []
    done = trio.Event()
    unparsed = iter(range(400))
    async with server_process(paths, tmp_path) as server:

        async def client_loop(number: int, reads_unparsed: bool) -> None:
            generations = seen.setdefault(number, [])
            async with httpx.AsyncClient(timeout=5) as client:
                while not done.is_set():
                    target = NORMAL
                    if reads_unparsed:  # a directory no request has parsed yet
                        target = f"/mirrorlist?path=pub/extra/{next(unparsed, 0)}&ip=192.0.2.1"
                    try:
                        response = await client.get(f"{server.url}{target}")
                    except httpx.HTTPError as exc:
                        failures.append(repr(exc))
                        await trio.sleep(0.05)
                        continue
                    if response.status_code != 200 or (
                        target == NORMAL and response.text != NORMAL_BODY
                    ):
                        failures.append(f"{response.status_code} {response.text[:80]}")
                    generation = response.headers["x-mirrorlist-generation"]
                    if not generations or generations[-1] != generation:
                        generations.append(generation)
                    if reads_unparsed:
                        await trio.sleep(0.01)

        newer = many_directories(CACHE_TIME + 60).build().SerializeToString()
        missing = CacheBuilder(CACHE_TIME + 120).build()
        missing.MirrorListCache.add(directory="x").ByCountry.add(value=[1])  # no key: invalid
        rejected = [
            newer[:-7],  # truncated
            b"\xff" * 1000,  # garbage
            missing.SerializePartialToString(),
            with_invalid_utf8(many_directories(CACHE_TIME + 180).build().SerializeToString(),
                              "us.example"),
            with_invalid_utf8(many_directories(CACHE_TIME + 240).build().SerializeToString(),
                              "fedora-40+x86_64"),
        ]
        async with trio.open_nursery() as clients:
            for n in range(4):
                clients.start_soon(client_loop, n, n == 3)
            await trio.sleep(0.5)
            write_atomically(cache, newer)  # a new generation
            await trio.sleep(1.0)
            for data in rejected:
                write_atomically(cache, data)
                await trio.sleep(0.6)
            os.truncate(cache, 0)  # `: > cache`, in place
            await trio.sleep(0.6)
            os.truncate(cache, 0)
            cache.write_bytes(newer[: len(newer) // 2])  # `cp` over it, interrupted
            await trio.sleep(0.6)
            done.set()
        assert server.process.returncode is None
    assert failures == []
    for generations in seen.values():  # the new generation replaced the old one, for good
        assert len(generations) == 2, seen
        assert generations[1].startswith(f"{CACHE_TIME + 60}-")
    assert server.log.read_text().count("event=reload_rejected") >= len(rejected) + 2


async def test_workers_share_a_port_and_reload_on_sighup(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, watch_interval=0.0)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = await trio.lowlevel.open_process(
        [str(Path(sys.executable).parent / "mirrormanager"), "serve", "mirrorlist",
         "--cache", settings.cache_path, "--listen", "127.0.0.1:0", "--workers", "2",
         "--geoip", settings.geoip or "", "--netblocks", settings.netblocks or "",
         "--log", str(tmp_path / "access.log")],
        stdout=subprocess.PIPE, env=env, cwd=tmp_path,
    )
    assert process.stdout is not None
    try:
        line = b""
        with trio.fail_after(60):
            while b"\n" not in line:
                line += await process.stdout.receive_some(1024)
        url = line.decode().split("Listening on ", 1)[1].strip()
        async def generations(n: int) -> set[str]:
            seen = set()
            for _ in range(n):  # new connections: spread over both workers
                async with httpx.AsyncClient(timeout=5) as client:
                    response = await client.get(f"{url}{NORMAL}")
                assert response.text == NORMAL_BODY
                seen.add(response.headers["x-mirrorlist-generation"].split("-")[0])
            return seen

        assert await generations(10) == {str(CACHE_TIME)}
        world(CACHE_TIME + 5).write(Path(settings.cache_path))
        process.send_signal(signal.SIGHUP)
        with trio.fail_after(20):
            while await generations(10) != {str(CACHE_TIME + 5)}:
                await trio.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        with trio.fail_after(20):
            assert await process.wait() == 0
        out = subprocess.run(["pgrep", "-f", "mirrormanager_mirrorlist.worker"],
                             capture_output=True, text=True)
        assert str(tmp_path) not in out.stdout
        with pytest.raises(httpx.ConnectError):
            async with httpx.AsyncClient(timeout=2) as client:
                await client.get(f"{url}/healthz")
        log_lines = (tmp_path / "access.log").read_text().splitlines()
        assert len(log_lines) >= 20 and "REPO: fedora-40; ARCH: x86_64" in log_lines[0]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@contextlib.asynccontextmanager
async def static_http_mirror(root: Path) -> AsyncIterator[int]:
    """``python -m http.server`` serving ``root`` on 127.0.0.1 (a real mirror for aria2c);
    yields its port once it accepts connections."""
    port = free_port()
    mirror = await trio.lowlevel.open_process(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(root),
         str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        with trio.fail_after(10):
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    await trio.sleep(0.05)
        yield port
    finally:
        mirror.kill()
        await mirror.wait()


@needs_aria2c
async def test_aria2c_downloads_repomd_through_metalink(tmp_path: Path, nursery: trio.Nursery) -> None:
    # a mirror: a real file tree served over HTTP on 127.0.0.1
    tree = tmp_path / "mirror"
    repodata = tree / "pub" / SUB / "repodata"
    repodata.mkdir(parents=True)
    content = b'<?xml version="1.0"?><repomd><revision>42</revision></repomd>\n'
    (repodata / "repomd.xml").write_bytes(content)
    async with static_http_mirror(tree) as mirror_port:
        b = CacheBuilder(CACHE_TIME)
        b.host(1, [f"http://127.0.0.1:{mirror_port}/pub", "rsync://127.0.0.1/nothing"],
               country="US")
        b.host(2, ["http://127.0.0.1:9/dead"], country="US", bandwidth=1)
        b.directory(OS, [1, 2], subpath=SUB)
        b.directory(OS + "/repodata", [1], subpath=SUB + "/repodata")
        b.repo("fedora-40", "x86_64", OS)
        b.files(OS + "/repodata", "repomd.xml", pb.FileDetailsType(
            TimeStamp=1, Size=len(content), SHA256=hashlib.sha256(content).hexdigest(),
            SHA512=hashlib.sha512(content).hexdigest()))
        paths = write_inputs(tmp_path, b)
        settings = attrs.evolve(settings_for(tmp_path / "x"), cache_path=str(paths.cache))
        started, stop = await start(nursery, settings)
        out = tmp_path / "download"
        result = await trio.run_process(
            ["aria2c", "--follow-metalink=mem", "--check-integrity=true", "--dir", str(out),
             "--allow-overwrite=true", "--console-log-level=warn", "--summary-interval=0",
             f"{started.url}/metalink?{RA}&country=us"],
            capture_stdout=True, capture_stderr=True, check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert (out / "repomd.xml").read_bytes() == content
        stop.set()


@needs_aria2c
async def test_aria2c_rejects_a_wrong_hash(tmp_path: Path, nursery: trio.Nursery) -> None:
    """The hash in the metalink is really checked: a wrong one makes aria2c fail."""
    tree = tmp_path / "mirror" / "pub" / SUB / "repodata"
    tree.mkdir(parents=True)
    (tree / "repomd.xml").write_bytes(b"tampered\n")
    async with static_http_mirror(tmp_path / "mirror") as mirror_port:
        b = CacheBuilder(CACHE_TIME)
        b.host(1, [f"http://127.0.0.1:{mirror_port}/pub"], country="US")
        b.directory(OS, [1], subpath=SUB)
        b.directory(OS + "/repodata", [1], subpath=SUB + "/repodata")
        b.repo("fedora-40", "x86_64", OS)
        b.files(OS + "/repodata", "repomd.xml",
                pb.FileDetailsType(TimeStamp=1, Size=9, SHA256=hashlib.sha256(b"x").hexdigest()))
        paths = write_inputs(tmp_path, b)
        settings = attrs.evolve(settings_for(tmp_path / "x"), cache_path=str(paths.cache))
        started, stop = await start(nursery, settings)
        result = await trio.run_process(
            ["aria2c", "--follow-metalink=mem", "--check-integrity=true", "--max-tries=1",
             "--dir", str(tmp_path / "dl"), "--console-log-level=warn", "--summary-interval=0",
             f"{started.url}/metalink?{RA}&country=us"],
            capture_stdout=True, capture_stderr=True, check=False,
        )
        assert result.returncode != 0
        stop.set()
