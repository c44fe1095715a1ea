"""``netblocks update``: our TABLE_DUMP_V2 reader checked against mrtparse (a maintained PyPI
parser), the file it writes read by the list server's own loader, and every refusal."""

from __future__ import annotations

import bz2
import gzip
import http.server
import io
import ipaddress
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from ops_data import run_cli, write_config

from mirrormanager_mirrorlist.prefixes import AsnTable
from mirrormanager_ops.mrt import AS_SEQUENCE, MrtError, read_records, read_rib
from mirrormanager_ops.mrt_writer import AS_SET, peer_index_table, rib_record, write_rib

ROUTES = [
    ("1.0.0.0/24", 13335),
    ("8.8.8.0/24", 15169),
    ("23.0.0.0/12", 20940),
    ("10.0.0.0/8", 64512),          # private: bogon
    ("192.168.10.0/24", 64513),     # private: bogon
    ("100.64.0.0/10", 64514),       # CGNAT: bogon
    ("0.0.0.0/0", 3356),            # default route: too broad
    ("4.0.0.0/6", 3356),            # broader than /8
    ("2a00:1450::/32", 15169),
    ("2606:4700::/32", 13335),
    ("2001:db8::/32", 64515),       # documentation: bogon
    ("2002::/16", 64516),           # 6to4: bogon
    ("2000::/3", 64517),            # too broad
]
#: netblocks update never opens the database
NO_DATABASE = "sqlite:////nonexistent/never-opened.db"
EXPECTED = {
    "1.0.0.0/24 13335", "8.8.8.0/24 15169", "23.0.0.0/12 20940", "2a00:1450::/32 15169",
    "2606:4700::/32 13335", "5.5.0.0/16 65001", "7.7.7.0/24 65010",
}


def rib_bytes(routes, extra: bytes = b"") -> bytes:
    stream = io.BytesIO()
    write_rib(stream, routes, peers=3)
    return stream.getvalue() + extra


#: odd records: a path ending in an AS_SET (origin: the sequence's last AS), a prefix with no
#: AS_SEQUENCE (skipped), a prefix with host bits past its length (cleared), a 2-segment path
ODD = (
    rib_record(90, "5.5.0.0/16", [[(AS_SEQUENCE, [64500, 65001]), (AS_SET, [65002, 65003])]])
    + rib_record(91, "6.6.0.0/16", [[(AS_SET, [65004])]])
    + rib_record(93, "7.7.7.0/24", [[(AS_SEQUENCE, [64500] * 3), (AS_SEQUENCE, [65010])]])
)


@pytest.fixture
def ribs(tmp_path: Path) -> tuple[Path, Path]:
    first = tmp_path / "rib.bz2"
    first.write_bytes(bz2.compress(rib_bytes(ROUTES[:8], ODD)))
    second = tmp_path / "rib6.gz"  # v6 and a duplicate of a v4 prefix with another origin
    second.write_bytes(gzip.compress(rib_bytes(ROUTES[8:] + [("8.8.8.0/24", 1)])))
    return first, second


def import_mrtparse():  # type: ignore[no-untyped-def]
    """mrtparse sets SIGPIPE to its default action when imported (a writer to a closed socket
    would kill the whole test process): import it here and put Python's setting back."""
    previous = signal.getsignal(signal.SIGPIPE)
    try:
        import mrtparse
    finally:
        signal.signal(signal.SIGPIPE, previous)
    return mrtparse


def test_reader_agrees_with_mrtparse(tmp_path: Path) -> None:
    mrtparse = import_mrtparse()
    path = tmp_path / "plain.mrt"
    path.write_bytes(rib_bytes(ROUTES, ODD))
    ours = [(str(ipaddress.ip_network((address, length))), origin)
            for _family, address, length, origin in read_rib(path)]
    theirs = []
    for entry in mrtparse.Reader(str(path)):
        data = entry.data
        if "prefix" not in data:
            continue
        origin = None
        for attribute in data["rib_entries"][0]["path_attributes"]:
            if list(attribute["type"]) == [2]:
                for segment in attribute["value"]:
                    if list(segment["type"]) == [AS_SEQUENCE]:
                        origin = int(segment["value"][-1])
        theirs.append((f"{data['prefix']}/{data['length']}", origin))
    assert ours == theirs
    assert ("5.5.0.0/16", 65001) in ours and ("6.6.0.0/16", None) in ours


def test_update_writes_what_the_list_server_reads(tmp_path: Path,
                                                  ribs: tuple[Path, Path]) -> None:
    config = write_config(tmp_path, NO_DATABASE)
    output = tmp_path / "global_netblocks.txt"
    status, out, _ = run_cli(config, "netblocks", "update", str(output),
                             "--rib", str(ribs[0]), "--rib", str(ribs[1]), "--dry-run")
    assert status == 0 and "prefixes=7" in out and not output.exists()
    status, out, _ = run_cli(config, "netblocks", "update", str(output),
                             "--rib", str(ribs[0]), "--rib", str(ribs[1]))
    assert status == 0, out
    assert set(output.read_text().splitlines()) == EXPECTED
    assert "bogons=5 too_broad=3 no_origin=1" in out and "duplicates=1" in out
    table = AsnTable.from_file(output)
    assert table.lookup(4, int(ipaddress.ip_address("8.8.8.8"))) == 15169
    assert table.lookup(6, int(ipaddress.ip_address("2a00:1450::1"))) == 15169
    assert table.lookup(4, int(ipaddress.ip_address("10.1.1.1"))) is None


def test_truncated_dump_leaves_the_file_alone(tmp_path: Path) -> None:
    config = write_config(tmp_path, NO_DATABASE)
    output = tmp_path / "global_netblocks.txt"
    output.write_text("9.9.9.0/24 19281\n")
    data = rib_bytes(ROUTES)
    cut = tmp_path / "cut.mrt"
    cut.write_bytes(data[:-7])
    status, _, err = run_cli(config, "netblocks", "update", str(output), "--rib", str(cut))
    assert status == 1 and "cut.mrt: offset" in err and "record truncated" in err, err
    assert output.read_text() == "9.9.9.0/24 19281\n"
    garbage = tmp_path / "garbage.mrt"
    garbage.write_bytes(b"\xff" * 64)
    status, _, err = run_cli(config, "netblocks", "update", str(output), "--rib", str(garbage))
    assert status == 1 and "offset 0" in err and "not plausible" in err
    bad_gz = tmp_path / "bad.gz"
    bad_gz.write_bytes(gzip.compress(data)[:-20])
    status, _, err = run_cli(config, "netblocks", "update", str(output), "--rib", str(bad_gz))
    assert status == 1 and "bad.gz" in err
    assert output.read_text() == "9.9.9.0/24 19281\n"


def test_refuses_an_empty_or_much_smaller_result(tmp_path: Path) -> None:
    config = write_config(tmp_path, NO_DATABASE)
    output = tmp_path / "global_netblocks.txt"
    output.write_text("".join(f"{i}.0.0.0/8 {i}\n" for i in range(11, 31)))
    small = tmp_path / "small.mrt"
    small.write_bytes(rib_bytes(ROUTES[:3]))
    status, _, err = run_cli(config, "netblocks", "update", str(output), "--rib", str(small))
    assert status == 1 and "3 prefixes would replace 20" in err
    empty = tmp_path / "empty.mrt"
    empty.write_bytes(peer_index_table())
    status, _, err = run_cli(config, "netblocks", "update", str(output), "--rib", str(empty))
    assert status == 1 and "no usable prefix" in err
    assert len(output.read_text().splitlines()) == 20
    status, _, _ = run_cli(config, "netblocks", "update", str(output), "--rib", str(small),
                           "--force")
    assert status == 0 and len(output.read_text().splitlines()) == 3


@pytest.fixture
def rib_server(ribs: tuple[Path, Path]) -> Iterator[str]:
    directory = ribs[0].parent

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_dumps_are_downloaded(tmp_path: Path, rib_server: str) -> None:
    config = write_config(tmp_path, NO_DATABASE, f"""
[ops]
netblock_ribs = ["{rib_server}/rib.bz2", "{rib_server}/rib6.gz"]
""")
    output = tmp_path / "out" / "global_netblocks.txt"
    status, out, err = run_cli(config, "netblocks", "update", str(output))
    assert status == 0, err
    assert set(output.read_text().splitlines()) == EXPECTED
    assert not [p for p in output.parent.iterdir() if p.name.startswith(".rib-")]
    status, _, err = run_cli(config, "netblocks", "update", str(output), "--rib",
                             f"{rib_server}/missing.bz2")
    assert status == 1 and "HTTP 404" in err


def test_reader_errors_name_the_record() -> None:
    data = rib_bytes(ROUTES[:2])
    # the first RIB record (after the peer index table) is 1.0.0.0/24; its first entry's
    # attribute length sits after sequence (4), prefix length (1), prefix (3), entry count (2),
    # peer index (2) and time (4): make it overrun the record
    first_rib = 12 + int.from_bytes(data[8:12], "big")
    at = first_rib + 12 + 16
    broken = data[:at] + b"\xff\xff" + data[at + 2:]
    with pytest.raises(MrtError, match=rf"x: offset {first_rib}: bad RIB record: .*overrun"):
        list(read_records(io.BytesIO(broken), "x"))
