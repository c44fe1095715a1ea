"""Declarative import/export through the real command line and a real database (SQLite and
PostgreSQL): round trip, idempotence, dry run, what happens to what the file does not name, and
that what import prints is what it writes."""

from __future__ import annotations

import sqlalchemy as sa
from import_cli import EXAMPLE, import_text, run, snapshot


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


def test_import_before_upgrade_says_what_to_do(tmp_path):
    path = tmp_path / "mm.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "fresh.db"}"\n')
    code, out, err = run(path, "import", str(EXAMPLE))
    assert code == 1
    assert "mirrormanager db upgrade" in err


# -- what the file does not name, passwords: the import says exactly what it writes --------------

NETWORKS_WITHOUT_INTERNAL = """
[[site]]
name = "Example Networks"
password = "another secret"
org_url = "https://example.net"
admins = ["bob", "carol"]

[[site.host]]
name = "ftp.example.net"
country = "US"
bandwidth_int = 10000
asn = 64500
netblocks = ["198.51.100.0/24"]
max_connections = 4

[[site.host.category]]
name = "Fedora Linux"
urls = ["http://ftp.example.net/pub/fedora/linux", "ftp://ftp.example.net/pub/fedora/linux"]
"""


def test_hosts_the_file_does_not_name_are_kept_and_not_reported_removed(config_path, tmp_path):
    assert run(config_path, "import", str(EXAMPLE))[0] == 0
    before = snapshot(config_path)
    for _ in range(2):
        code, out, err = import_text(config_path, tmp_path, NETWORKS_WITHOUT_INTERNAL)
        assert code == 0, err
        assert out.splitlines() == [
            f"{tmp_path / 'deployment.toml'}: no change (1 host of named sites not in the file "
            "left alone; --prune removes it)"
        ]
    assert snapshot(config_path) == before  # the host is still there, nothing was rewritten


def test_prune_removes_the_hosts_the_file_does_not_name(config_path, tmp_path):
    assert run(config_path, "import", str(EXAMPLE))[0] == 0
    code, out, err = import_text(config_path, tmp_path, NETWORKS_WITHOUT_INTERNAL, "--dry-run",
                                 "--prune")
    assert code == 0, err
    assert out.splitlines()[0] == "- site 'Example Networks' host 'internal.example.net'"
    assert "internal.example.net" in snapshot(config_path)
    code, out, err = import_text(config_path, tmp_path, NETWORKS_WITHOUT_INTERNAL, "--prune")
    assert code == 0, err
    assert out.splitlines() == [
        "- site 'Example Networks' host 'internal.example.net'",
        f"{tmp_path / 'deployment.toml'}: 1 change(s) written",
    ]
    exported = snapshot(config_path)
    assert "internal.example.net" not in exported
    assert "mirror.example.edu" in exported  # another site: never touched
    code, out, err = import_text(config_path, tmp_path, NETWORKS_WITHOUT_INTERNAL, "--prune")
    assert (code, out.strip()) == (0, f"{tmp_path / 'deployment.toml'}: no change")


def test_passwords_change_only_when_they_change(config_path, tmp_path):
    assert run(config_path, "import", str(EXAMPLE))[0] == 0
    hash_line = next(line for line in snapshot(config_path).splitlines()
                     if line.startswith("password_hash") and "scrypt$" in line)
    text = EXAMPLE.read_text()
    # the same clear-text password verifies against the stored hash: no change
    code, out, err = import_text(config_path, tmp_path, text)
    assert out.strip().endswith(": no change"), out
    # no password at all: the stored one stays (it may have been set in the web UI)
    code, out, err = import_text(config_path, tmp_path, text.replace(
        'password = "another secret"\n', ""))
    assert out.strip().endswith(": no change"), out
    assert hash_line in snapshot(config_path)
    # a new password is one change, then stable
    changed = text.replace('"another secret"', '"a new secret"')
    code, out, err = import_text(config_path, tmp_path, changed)
    assert out.splitlines()[0] == "~ site 'Example Networks' password_hash changed"
    assert out.strip().endswith("1 change(s) written")
    code, out, err = import_text(config_path, tmp_path, changed)
    assert out.strip().endswith(": no change"), out


def test_site_names_the_database_holds_twice_are_refused(config_path, tmp_path, store):
    """MirrorManager2 does not make site names unique; the import cannot tell which is meant
    (and used to rewrite one of them on every run)."""
    assert run(config_path, "import", str(EXAMPLE))[0] == 0
    with store.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO site (name, private, admin_active, user_active, created_at, created_by,"
            " all_sites_can_pull_from_me, email_on_drop, email_on_add) VALUES"
            " ('Example Networks', false, true, true, CURRENT_TIMESTAMP, 'ui', false, false,"
            " false)"))  # fmt: skip
    before = snapshot(config_path)
    code, out, err = run(config_path, "import", str(EXAMPLE))
    assert code == 1
    line = next(n for n, text in enumerate(EXAMPLE.read_text().splitlines(), 1)
                if text == 'name = "Example Networks"')
    assert (f"{EXAMPLE}:{line}: site[1].name: 2 sites in the database are named "
            "'Example Networks', so the import cannot tell which one this is") in err
    assert snapshot(config_path) == before


def test_created_by_is_kept_when_the_file_does_not_give_it(config_path, tmp_path, store):
    assert run(config_path, "import", str(EXAMPLE))[0] == 0
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE site SET created_by = 'alice'"))
    code, out, err = run(config_path, "import", str(EXAMPLE))
    assert out.strip() == f"{EXAMPLE}: no change"
    code, out, err = import_text(config_path, tmp_path, EXAMPLE.read_text().replace(
        'name = "Example Networks"', 'name = "Example Networks"\ncreated_by = "bob"'))
    assert out.splitlines()[0] == "~ site 'Example Networks' created_by: 'alice' -> 'bob'"


def test_32_bit_as_numbers_are_stored(config_path, tmp_path):
    """AS numbers are 32-bit unsigned (RFC 6793): 4200000000 and up are private-use ones that
    do not fit PostgreSQL's INTEGER."""
    text = EXAMPLE.read_text().replace("asn = 64500", "asn = 4294967294\npeer_asns = [4200000000]")
    code, out, err = import_text(config_path, tmp_path, text)
    assert code == 0, err
    exported = snapshot(config_path)
    assert "asn = 4294967294" in exported and "peer_asns = [4200000000]" in exported
    code, out, err = import_text(config_path, tmp_path, text)
    assert out.strip().endswith(": no change")


def test_clear_text_passwords_of_an_adopted_database_are_not_exported(config_path, tmp_path,
                                                                       store):
    """MirrorManager2 stores site passwords in clear text: export leaves them out (instead of
    writing the secret as a 'password_hash' import would refuse), and the round trip is a no-op."""
    assert run(config_path, "import", str(EXAMPLE))[0] == 0
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE site SET password = 'mm2-clear-secret'"))
    exported = snapshot(config_path)
    assert "mm2-clear-secret" not in exported and "password_hash" not in exported
    code, out, err = import_text(config_path, tmp_path, exported)
    assert (code, out.strip()) == (0, f"{tmp_path / 'deployment.toml'}: no change"), err
    with store.engine.connect() as conn:
        assert set(conn.execute(sa.text("SELECT password FROM site")).scalars()) == {
            "mm2-clear-secret"}
