"""The list server on several addresses, IPv4 and IPv6 (issue 14), and ``X-Forwarded-For``
from trusted proxies, IPv6 ones and chains of them; ``listen`` and ``trusted_proxies`` checked
when the configuration is read."""

from __future__ import annotations

import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import httpx
import pytest
import trio
from listserver_data import write_inputs
from listserver_process import first_line

from mirrormanager_mirrorlist.config import MirrorlistConfig
from mirrormanager_mirrorlist.serving import Started, run_server
from mmcore.config import ConfigError, load_config

NORMAL = "/mirrorlist?repo=fedora-40&arch=x86_64&country=us"


def settings_for(directory: Path, listen: list[str], **changes: object) -> MirrorlistConfig:
    paths = write_inputs(directory)
    return MirrorlistConfig(
        cache_path=str(paths.cache), listen=listen,  # type: ignore[arg-type]
        access_log=str(directory / "access.log"), watch_interval=0, **changes,  # type: ignore[arg-type]
    )


async def answer(url: str, *headers: tuple[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5) as client:
        return await client.get(f"{url}{NORMAL}", headers=dict(headers))


async def test_one_server_answers_on_127_0_0_1_and_on_1(tmp_path: Path,
                                                         nursery: trio.Nursery) -> None:
    stop = trio.Event()
    settings = settings_for(tmp_path, ["127.0.0.1:0", "[::1]:0"])
    started: Started = await nursery.start(
        partial(run_server, settings, stop=stop, handle_signals=False))
    port = started.port
    assert started.urls == (f"http://127.0.0.1:{port}", f"http://[::1]:{port}")  # one port
    for url in started.urls:
        response = await answer(url)
        assert response.status_code == 200 and "us.example" in response.text
    stop.set()


async def test_every_address_alone_answers_ipv4_and_ipv6(tmp_path: Path,
                                                        nursery: trio.Nursery) -> None:
    stop = trio.Event()
    started: Started = await nursery.start(partial(
        run_server, settings_for(tmp_path, ["[::]:0"]), stop=stop, handle_signals=False))
    for url in (f"http://127.0.0.1:{started.port}", f"http://[::1]:{started.port}"):
        assert (await answer(url)).status_code == 200
    stop.set()


async def test_listen_repeated_on_the_command_line_with_two_workers(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, ["127.0.0.1:0"])
    process = await trio.lowlevel.open_process(  # port 0 twice: one port, the server's choice
        [str(Path(sys.executable).parent / "mirrormanager"), "serve", "mirrorlist",
         "--cache", settings.cache_path, "--workers", "2", "--log", "",
         "--listen", "[::1]:0", "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=tmp_path,
    )
    assert process.stdout is not None
    try:
        line = await first_line(process, lambda: "serve exited")
        port = int(line.split("Listening on http://[::1]:", 1)[1].split()[0].rstrip(","))
        for url in (f"http://[::1]:{port}", f"http://127.0.0.1:{port}"):
            for _ in range(4):  # new connections: spread over both workers
                assert (await answer(url)).status_code == 200
    finally:
        process.terminate()
        with trio.fail_after(30):
            assert await process.wait() == 0
        await process.stdout.aclose()


def test_a_shared_port_0_taken_on_the_second_address_is_chosen_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The kernel's port for [::1]:0 may be in use on 127.0.0.1: a new one is asked for."""
    import socket as socket_module

    from mmcore import listeners

    held = socket_module.socket(socket_module.AF_INET, socket_module.SOCK_STREAM)
    held.bind(("127.0.0.1", 0))
    held.listen()
    taken = held.getsockname()[1]
    original, calls = listeners.open_once, []

    def first_try_collides(where, **options):  # type: ignore[no-untyped-def]
        calls.append(where)
        if len(calls) == 1:  # as if the kernel had given [::1] the port taken on 127.0.0.1
            where = [("::1", taken), ("127.0.0.1", taken)]
        return original(where, **options)

    monkeypatch.setattr(listeners, "open_once", first_try_collides)
    try:
        sockets = listeners.open_sockets([("::1", 0), ("127.0.0.1", 0)], listen=True,
                                         reuse_port=False)
        ports = {listeners.bound_port(sock) for sock in sockets}
        assert len(calls) == 2 and len(ports) == 1 and taken not in ports
        for sock in sockets:
            sock.close()
        with pytest.raises(OSError):  # a port given explicitly is never replaced
            listeners.open_sockets([("127.0.0.1", taken)], listen=True, reuse_port=False)
    finally:
        held.close()


async def logged_clients(settings: MirrorlistConfig, requests: list[tuple[str, str | None]],
                         nursery: trio.Nursery) -> list[str]:
    """Send each (server URL index, X-Forwarded-For) request; the client addresses logged."""
    stop = trio.Event()
    started: Started = await nursery.start(
        partial(run_server, settings, stop=stop, handle_signals=False))
    for url_number, header in requests:
        headers = [("X-Forwarded-For", header)] if header is not None else []
        assert (await answer(started.urls[url_number], *headers)).status_code == 200
    stop.set()
    log = Path(settings.access_log)
    with trio.fail_after(10):
        while log.read_text().count("\n") < len(requests):  # flushed when the server stops
            await trio.sleep(0.05)
    return [line.split(";")[0].removeprefix("IP: ") for line in log.read_text().splitlines()]


async def test_forwarded_for_from_a_trusted_ipv6_proxy_and_a_chain(
    tmp_path: Path, nursery: trio.Nursery
) -> None:
    settings = settings_for(tmp_path, ["[::1]:0", "127.0.0.1:0"],
                            trusted_proxies=["::1", "2001:db8:1::/48", "10.0.0.0/8"])
    clients = await logged_clients(settings, [
        (0, "2001:db8:77::9"),                                  # the proxy is ::1: believed
        (0, "203.0.113.9, 2001:db8:1::5, 10.1.2.3"),            # a chain of trusted proxies
        (0, "198.51.100.1, 2001:db8:66::1, 2001:db8:1::5"),     # stops at the untrusted one
        (1, "2001:db8:77::9"),                                  # 127.0.0.1 is not trusted
        (0, None),                                              # no header: the peer
    ], nursery)
    assert clients == ["2001:db8:77::9", "203.0.113.9", "2001:db8:66::1", "127.0.0.1", "::1"]


async def test_without_trusted_proxies_any_peer_is_believed_as_upstream(
    tmp_path: Path, nursery: trio.Nursery
) -> None:
    settings = settings_for(tmp_path, ["[::1]:0"])
    clients = await logged_clients(settings, [(0, "203.0.113.9, 2001:db8:1::5")], nursery)
    assert clients == ["2001:db8:1::5"]


async def test_forwarded_for_not_trusted_at_all(tmp_path: Path, nursery: trio.Nursery) -> None:
    settings = settings_for(tmp_path, ["[::1]:0"], trust_forwarded_for=False,
                            trusted_proxies=["::1"])
    assert await logged_clients(settings, [(0, "2001:db8:77::9")], nursery) == ["::1"]


@pytest.mark.parametrize(("table", "message"), [
    ('listen = ["127.0.0.1:3000", "nonsense"]', "mirrorlist.listen: 'nonsense': no port"),
    ("listen = []", "mirrorlist.listen: no address"),
    ('listen = ["[::1]:3000", "[::1]:3000"]', "mirrorlist.listen: '[::1]:3000' is listed twice"),
    ("listen = 3000", "mirrorlist.listen: expected HOST:PORT or a list of them"),
    ('trusted_proxies = ["::1", "proxy.example"]',
     "mirrorlist.trusted_proxies: 'proxy.example' is not an IP address or network"),
    ('trusted_proxies = "::1"', "mirrorlist.trusted_proxies: expected a list"),
    ("max_connections = 0", "mirrorlist.max_connections: must be at least 1"),
    ("max_target = 10", "unknown key 'max_target'"),
])
def test_a_bad_key_is_named(tmp_path: Path, table: str, message: str) -> None:
    config = tmp_path / "mm.toml"
    config.write_text(f"[mirrorlist]\n{table}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config, {"mirrorlist": MirrorlistConfig})
    assert message in str(caught.value)


def test_listen_takes_one_address_or_a_list(tmp_path: Path) -> None:
    config = tmp_path / "mm.toml"
    config.write_text('[mirrorlist]\nlisten = "[::]:3000"\ntrusted_proxies = ["fd00::/8"]\n')
    section = load_config(config, {"mirrorlist": MirrorlistConfig}).section("mirrorlist")
    assert section.listen == ("[::]:3000",) and section.trusted_proxies == ("fd00::/8",)
    config.write_text('[mirrorlist]\nlisten = ["0.0.0.0:3000", "[::]:3000"]\n')
    section = load_config(config, {"mirrorlist": MirrorlistConfig}).section("mirrorlist")
    assert section.listen == ("0.0.0.0:3000", "[::]:3000")


@pytest.mark.parametrize(("argv", "message"), [
    (["serve", "mirrorlist", "--listen", "nonsense"],
     "serve mirrorlist: listen: 'nonsense': no port"),
    (["serve", "ui", "--listen", "127.0.0.1:0", "--listen", "[::1]:0"],
     "serve ui: listen: expected one HOST:PORT string, got list"),
])
def test_a_bad_listen_flag_is_a_usage_error(tmp_path: Path, argv: list[str], message: str) -> None:
    done = subprocess.run([str(Path(sys.executable).parent / "mirrormanager"), *argv],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and message in done.stderr


async def test_an_ipv4_proxy_on_a_dual_stack_socket_is_matched_as_ipv4(
    tmp_path: Path, nursery: trio.Nursery
) -> None:
    """The peer is ``::ffff:127.0.0.1`` there; ``127.0.0.0/8`` is what the operator writes."""
    settings = settings_for(tmp_path, ["[::]:0"], trusted_proxies=["127.0.0.0/8"])
    stop = trio.Event()
    started: Started = await nursery.start(
        partial(run_server, settings, stop=stop, handle_signals=False))
    url = f"http://127.0.0.1:{started.port}"
    assert (await answer(url, ("X-Forwarded-For", "2001:db8::7"))).status_code == 200
    stop.set()
    log = Path(settings.access_log)
    with trio.fail_after(10):
        while not log.read_text():
            await trio.sleep(0.05)
    assert log.read_text().startswith("IP: 2001:db8::7;")
