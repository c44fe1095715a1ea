"""``worldmap`` (a GeoIP2 City database built here) and ``rsync-filter`` on both backends."""

from __future__ import annotations

from pathlib import Path

import netaddr
import pytest
from mmdb_writer import MMDBWriter
from ops_data import DIRECTORIES, dump, populate, rows, run_cli, write_config

from mmcore.ops.rsync_filter import filter_rules


@pytest.fixture
def config(store, store_url: str, tmp_path: Path) -> Path:
    populate(store)
    return write_config(tmp_path, store_url)


def write_city(path: Path) -> Path:
    writer = MMDBWriter(ip_version=6, database_type="GeoIP2-City", languages=["en"],
                        description="worldmap tests", ipv4_compatible=True)
    writer.insert_network(netaddr.IPSet(["127.0.0.11/32"]), {
        "country": {"iso_code": "DE"}, "location": {"latitude": 50.11, "longitude": 8.68}})
    # stale.example's address is in an embargoed country: left off the map
    writer.insert_network(netaddr.IPSet(["127.0.0.12/32"]), {
        "country": {"iso_code": "IR"}, "location": {"latitude": 35.7, "longitude": 51.4}})
    writer.to_db_file(str(path))
    return path


def test_worldmap(store, config: Path, tmp_path: Path) -> None:
    city = write_city(tmp_path / "city.mmdb")
    with store.engine.begin() as conn:  # an old position the embargo must clear
        conn.exec_driver_sql("UPDATE host SET latitude = 1.0, longitude = 2.0 WHERE id = 2")
    before = dump(store)
    status, out, _ = run_cli(config, "worldmap", "--geoip", str(city), "--dry-run")
    assert status == 0 and "hosts=3 located=1 unplaced=2 changed=2" in out
    assert dump(store) == before
    status, out, _ = run_cli(config, "worldmap", "--geoip", str(city))
    assert status == 0 and out.splitlines()[-1].startswith("command=worldmap")
    assert rows(store, "SELECT id, latitude, longitude FROM host ORDER BY id") == [
        (1, 50.11, 8.68), (2, None, None), (3, None, None)
    ]
    status, out, _ = run_cli(config, "worldmap", "--geoip", str(city))
    assert "changed=0" in out
    status, _, err = run_cli(config, "worldmap", "--geoip", str(tmp_path / "missing.mmdb"))
    assert status == 1 and "missing.mmdb" in err


def test_rsync_filter_rules() -> None:
    assert filter_rules([]) == ["- *"]
    assert filter_rules(["pub/fedora/linux/updates/40", "pub/fedora/linux/updates/40/x86_64",
                         "pub/epel/9"], strip_prefix="/pub/fedora/") == [
        "+ linux/", "+ linux/updates/", "+ linux/updates/40/", "+ linux/updates/40/*",
        "+ linux/updates/40/x86_64/", "+ linux/updates/40/x86_64/*", "- *",
    ]
    # a prefix strips whole components only
    assert filter_rules(["pub/fedoraX/a"], strip_prefix="pub/fedora") == ["- *"]


def test_rsync_filter_command(store, config: Path) -> None:
    status, out, _ = run_cli(config, "rsync-filter", "--category", "Fedora Linux",
                             "--since", "800", "--strip-prefix", "pub/fedora/linux")
    assert status == 0
    changed = sorted(DIRECTORIES[i][len("pub/fedora/linux/"):] for i in (6, 7, 11, 12))
    assert [line[2:] for line in out.splitlines() if line.endswith("/*")] == [
        f"{path}/*" for path in changed
    ]
    assert out.splitlines()[0] == "+ releases/" and out.splitlines()[-1] == "- *"
    status, out, _ = run_cli(config, "rsync-filter", "--category", "Fedora Linux",
                             "--category", "Fedora Archive", "--since", "5000")
    assert status == 0 and out == "- *\n"
    status, _, err = run_cli(config, "rsync-filter", "--category", "Nope", "--since", "0")
    assert status == 1 and "unknown category 'Nope'" in err
