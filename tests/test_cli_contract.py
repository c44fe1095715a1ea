"""The command line as a new user meets it: every setting checked when it is read, global
options anywhere, read-only commands that create nothing, the right exit status."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from installed import run_cli


def write_config(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "mm.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[crawler]\nconcurrency = -3\n", "crawler.concurrency: must be at least 1, got -3"),
        ("[crawler]\nhost_timeout = 0\n", "crawler.host_timeout: must be greater than 0"),
        ('[mirrorlist]\nlisten = "nonsense"\n',
         "mirrorlist.listen: 'nonsense': no port (expected HOST:PORT)"),
        ('[mirrorlist]\nlisten = "[::1:3000"\n', "missing ']' after the IPv6 address"),
        ('[ui]\nlisten = "127.0.0.1:70000"\n', "the port 70000 is above 65535"),
        ('[database]\nurl = "just words"\n', "database.url: 'just words' is not a database URL"),
        ("[rsync]\nscan_timeout = -1\n", "rsync.scan_timeout: must be greater than 0"),
    ],
)
def test_a_bad_value_is_refused_when_read_naming_file_and_key(tmp_path, text, message):
    config = write_config(tmp_path, text)
    result = run_cli("--config", str(config), "config", "show", cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert f"configuration error: {config}: " in result.stderr
    assert message in result.stderr


def test_a_database_url_no_backend_handles_is_a_configuration_error(tmp_path):
    config = write_config(tmp_path, '[database]\nurl = "mysql://mm@db.example/mm"\n')
    result = run_cli("--config", str(config), "db", "current", cwd=tmp_path)
    assert result.returncode == 2
    assert "no installed storage plugin handles 'mysql' URLs" in result.stderr
    malformed = write_config(tmp_path, '[database]\nurl = "postgresql://[::1/mm"\n')
    result = run_cli("--config", str(malformed), "db", "current", cwd=tmp_path)
    assert result.returncode == 2 and "is not a valid URL" in result.stderr


@pytest.mark.parametrize("argv", [
    ("db", "current"), ("export",), ("umdl",), ("crawl",), ("cache", "write"),
])
def test_read_only_commands_never_create_the_database(tmp_path, argv):
    db = tmp_path / "absent.db"
    config = write_config(
        tmp_path,
        f'[database]\nurl = "sqlite:///{db}"\n[[umdl.master]]\ncategory = "C"\n'
        f'product = "P"\npath = "{tmp_path}"\n',
    )
    result = run_cli("--config", str(config), *argv, cwd=tmp_path)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "does not exist; run `mirrormanager db upgrade`" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert not db.exists()


def test_global_options_work_after_the_subcommand(tmp_path):
    db = tmp_path / "x.db"
    config = write_config(tmp_path, f'[database]\nurl = "sqlite:///{db}"\n')
    result = run_cli("db", "upgrade", "-q", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert db.exists() and result.stderr == ""
    # before and after together: the one after the subcommand is as good as the one before
    result = run_cli("-q", "db", "current", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip()


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o666])
def test_a_config_file_others_can_write_is_refused(tmp_path, mode):
    """It can name a program to run ([rsync] command): refused, with the fix."""
    config = write_config(tmp_path, '[rsync]\ncommand = "/tmp/not-rsync"\n', mode=mode)
    result = run_cli("--config", str(config), "config", "show", cwd=tmp_path)
    assert result.returncode == 2
    assert "writable by its group or by others" in result.stderr
    assert f"fix: chmod go-w {config}" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the file to another user")
def test_a_config_file_owned_by_another_user_is_refused(tmp_path):
    config = write_config(tmp_path, "[crawler]\nconcurrency = 2\n")
    os.chown(config, 65534, 65534)  # nobody
    result = run_cli("--config", str(config), "config", "show", cwd=tmp_path)
    assert result.returncode == 2 and "owned by user id 65534" in result.stderr


def test_serve_refuses_a_bad_override_before_binding(tmp_path):
    result = run_cli("serve", "mirrorlist", "--workers", "0", "--cache", "x", cwd=tmp_path)
    assert result.returncode == 2
    assert "workers: must be at least 1" in result.stderr
