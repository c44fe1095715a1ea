"""Declarative import/export through the real command line and a real database (SQLite and
PostgreSQL): round trip, idempotence, dry run, and every kind of bad input rejected with its key
path while the database stays exactly as it was."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from mmcore.cli import main

EXAMPLE = Path(__file__).parent.parent / "examples" / "deployment.toml"


def run(config_path: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--config", str(config_path), *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def config_path(tmp_path, store_url):
    path = tmp_path / "mirrormanager.toml"
    path.write_text(f'[database]\nurl = "{store_url}"\n[paths]\ndata_dir = "{tmp_path / "var"}"\n')
    code, out, err = run(path, "db", "upgrade")
    assert code == 0, err
    return path


def snapshot(config_path: Path) -> str:
    code, out, err = run(config_path, "export")
    assert code == 0, err
    return out


def test_import_then_export_round_trip(config_path, tmp_path):
    code, out, err = run(config_path, "import", str(EXAMPLE))
    assert code == 0, err
    assert "+ site 'Example University'" in out
    assert "+ site 'Example Networks' host 'internal.example.net'" in out
    assert out.rstrip().endswith("change(s) written")

    exported = snapshot(config_path)
    assert 'name = "mirror.example.edu"' in exported
    assert 'netblocks = ["192.0.2.0/24", "2001:db8:10::/48"]' in exported
    assert "report-mirror secret" not in exported  # only the salted hash leaves the database
    assert 'password_hash = "scrypt$' in exported

    # the same file again, and the export of it, change nothing
    code, out, err = run(config_path, "import", str(EXAMPLE))
    assert (code, out.strip()) == (0, f"{EXAMPLE}: no change")
    export_file = tmp_path / "export.toml"
    export_file.write_text(exported)
    code, out, err = run(config_path, "import", str(export_file))
    assert (code, out.strip()) == (0, f"{export_file}: no change")
    assert snapshot(config_path) == exported


def test_dry_run_prints_the_diff_and_writes_nothing(config_path, tmp_path):
    before = snapshot(config_path)
    code, out, err = run(config_path, "import", "--dry-run", str(EXAMPLE))
    assert code == 0, err
    assert "+ category 'Fedora Linux'" in out
    assert "not written (--dry-run)" in out
    assert snapshot(config_path) == before


def test_update_replaces_owned_lists(config_path, tmp_path):
    assert run(config_path, "import", str(EXAMPLE))[0] == 0
    changed = EXAMPLE.read_text().replace(
        'netblocks = ["192.0.2.0/24", "2001:db8:10::/48"]', 'netblocks = ["192.0.2.0/25"]'
    ).replace("bandwidth_int = 1000", "bandwidth_int = 2000")
    path = tmp_path / "changed.toml"
    path.write_text(changed)
    code, out, err = run(config_path, "import", str(path))
    assert code == 0, err
    lines = set(out.splitlines())
    host = "site 'Example University' host 'mirror.example.edu' "
    assert f"~ {host}bandwidth_int: 1000 -> 2000" in lines
    assert f"+ {host}netblocks 192.0.2.0/25" in lines
    assert f"- {host}netblocks 192.0.2.0/24" in lines
    assert f"- {host}netblocks 2001:db8:10::/48" in lines
    assert 'netblocks = ["192.0.2.0/25"]' in snapshot(config_path)


BAD_INPUTS = [
    ('country = "DE"', 'country = "XX"', "site[0].host[0].country: unknown country code 'XX'"),
    (
        '"192.0.2.0/24", "2001',
        '"192.0.2.0/33", "2001',
        "site[0].host[0].netblocks[0]: malformed netblock '192.0.2.0/33'",
    ),
    (
        '"rsync://mirror.example.org/fedora/linux"',
        '"gopher://mirror.example.org/fedora/linux"',
        "site[0].host[0].category[0].urls[1]: unsupported URL scheme",
    ),
    (
        'name = "Fedora EPEL"\nurls',
        'name = "Fedora Nonexistent"\nurls',
        "site[0].host[0].category[1].name: unknown category 'Fedora Nonexistent'",
    ),
    ("bandwidth_int = 1000", 'bandwidth_int = "fast"', "site[0].host[0].bandwidth_int: expected"),
    ("max_connections = 1", "max_connections = 1\nspeed = 3", "site[0].host[0].speed: unknown key"),
    ('continent = "EU"', 'continent = "XY"', "country_continent_redirect[0].continent"),
    ('topdir = "pub/epel"', 'topdir = "/pub/epel"', "category[1].topdir"),
    ("[[arch]]", "[[arch]\n", "invalid TOML"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD_INPUTS, ids=[m for *_, m in BAD_INPUTS])
def test_bad_input_is_rejected_and_nothing_is_written(config_path, tmp_path, old, new, message):
    # start from a populated database, so "unchanged" means more than "still empty"
    assert run(config_path, "import", str(EXAMPLE))[0] == 0
    before = snapshot(config_path)
    text = EXAMPLE.read_text().replace("Example University", "Other University")
    text = text.replace("example.edu", "example.org").replace("example.net", "example.com")
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1))
    code, out, err = run(config_path, "import", str(path))
    assert code == 1
    assert message in err
    assert "nothing was written" in err or "invalid TOML" in err
    assert snapshot(config_path) == before


def test_url_owned_by_another_host_is_rejected(config_path, tmp_path):
    assert run(config_path, "import", str(EXAMPLE))[0] == 0
    before = snapshot(config_path)
    path = tmp_path / "steal.toml"
    path.write_text(
        '[[site]]\nname = "Thief"\n[[site.host]]\nname = "t.example.com"\ncountry = "FR"\n'
        '[[site.host.category]]\nname = "Fedora Linux"\n'
        'urls = ["https://mirror.example.edu/fedora/linux"]\n'
    )
    code, out, err = run(config_path, "import", str(path))
    assert code == 1
    assert "already belongs to site 'Example University' host 'mirror.example.edu'" in err
    assert snapshot(config_path) == before


def test_import_before_upgrade_says_what_to_do(tmp_path):
    path = tmp_path / "mm.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "fresh.db"}"\n')
    code, out, err = run(path, "import", str(EXAMPLE))
    assert code == 1
    assert "mirrormanager db upgrade" in err
