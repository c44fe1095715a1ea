"""Configuration loading: defaults, plugin sections, and errors that name file, key and type."""

from __future__ import annotations

import attrs
import pytest

from mmcore.cli import main
from mmcore.config import ConfigError, load_config


@attrs.frozen
class Inner:
    port: int = 8080
    names: list[str] = attrs.Factory(list)


@attrs.frozen
class PluginSection:
    enabled: bool = True
    inner: Inner = Inner()


def test_defaults_without_a_file():
    config = load_config(None, {"demo": PluginSection})
    assert config.database.url == "sqlite:///mirrormanager.db"
    assert str(config.data_dir) == "var"
    assert config.section("demo") == PluginSection()
    assert config.source is None


def test_plugin_section_is_structured(tmp_path):
    path = tmp_path / "mm.toml"
    path.write_text('[database]\nurl = "sqlite:///x.db"\n[demo.inner]\nport = 9\nnames = ["a"]\n')
    config = load_config(path, {"demo": PluginSection})
    assert config.database.url == "sqlite:///x.db"
    assert config.section("demo").inner == Inner(port=9, names=["a"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[nosuch]\nx = 1\n", "unknown section or key 'nosuch'"),
        ("[database]\nurl = 5\n", "database.url: expected str, got int 5"),
        ("[database]\nurl = 'a'\nextra = 1\n", "database: unknown key 'extra'"),
        ("[demo.inner]\nport = '9'\n", "demo.inner.port: expected int, got str '9'"),
        ("[demo]\nenabled = 1\n", "demo.enabled: expected bool, got int 1"),
        ("[demo\n", "invalid TOML"),
    ],
)
def test_errors_name_file_key_and_expectation(tmp_path, text, expected):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path, {"demo": PluginSection})
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_cli_exits_2_on_a_bad_config(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text("[database]\nurl = 1\n")
    assert main(["--config", str(path), "plugins"]) == 2
    err = capsys.readouterr().err
    assert "configuration error" in err and str(path) in err and "database.url" in err


def test_cli_exits_2_on_a_missing_config(tmp_path, capsys):
    assert main(["--config", str(tmp_path / "none.toml"), "plugins"]) == 2
    assert "not found" in capsys.readouterr().err


def test_config_from_environment(tmp_path, monkeypatch, capsys):
    path = tmp_path / "env.toml"
    path.write_text("[paths]\ndata_dir = 7\n")
    monkeypatch.setenv("MIRRORMANAGER_CONFIG", str(path))
    assert main(["plugins"]) == 2
    assert str(path) in capsys.readouterr().err
