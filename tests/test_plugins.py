"""Plugins are found through the ``mirrormanager`` entry-point group, built-in or third-party."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


HERE = Path(__file__).parent
MIRRORMANAGER = Path(sys.executable).with_name("mirrormanager")

SHIPPED_PLUGINS = {
    "pg_store": "mirrormanager-pg-store",
    "rsync": "mirrormanager-rsync",
    "http": "mirrormanager-http",
    "ftp": "mirrormanager-ftp",
    "quart_ui": "mirrormanager-quart-ui",
    "mirrorlist": "mirrormanager-mirrorlist",
}


def run_cli(*argv: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    return subprocess.run(
        [str(MIRRORMANAGER), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def parse_plugins_output(text: str) -> dict[str, tuple[str, list[str]]]:
    plugins: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("    "):
            plugins[current][1].append(line.strip())
        else:
            name, _, dist = line.partition(": ")
            current = name
            plugins[name] = (dist, [])
    return plugins


def test_plugins_lists_the_six_shipped_plugins_with_their_hooks(tmp_path):
    result = run_cli("plugins", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    plugins = parse_plugins_output(result.stdout)
    for name, dist in SHIPPED_PLUGINS.items():
        assert name in plugins, result.stdout
        assert plugins[name][0] == f"{dist} 0.1.0"
        assert plugins[name][1], f"{name} implements no hook"
    assert "mm_open_store" in plugins["pg_store"][1]
    assert "mm_crawl_protocols" in plugins["http"][1]
    assert "mm_crawl_protocols" in plugins["ftp"][1]
    assert {"mm_crawl_protocols", "mm_scanner_sources"} <= set(plugins["rsync"][1])
    assert "mm_cache_writers" in plugins["mirrorlist"][1]
    assert "mm_frontends" in plugins["quart_ui"][1]
    # built-in behaviour comes through the same hooks, from the core distribution
    assert plugins["core_commands"][0] == "mirrormanager 0.1.0"


def test_a_separately_installed_plugin_is_picked_up(tmp_path):
    """Install tests/example_plugin with pip into its own directory; the unchanged core finds
    its crawl protocol, its configuration section and its command through the entry point."""
    target = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
            "--no-build-isolation", "--target", str(target), str(HERE / "example_plugin"),
        ],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr
    env = {"PYTHONPATH": str(target)}

    listing = parse_plugins_output(run_cli("plugins", env=env, cwd=tmp_path).stdout)
    assert listing["example"] == (
        "mm-example-plugin 0.3.1",
        ["mm_cli_commands", "mm_config_sections", "mm_crawl_protocols"],
    )

    config = tmp_path / "mm.toml"
    config.write_text('[example]\ngreeting = "moin"\n')
    hello = run_cli("--config", str(config), "example-hello", "world", env=env, cwd=tmp_path)
    assert (hello.returncode, hello.stdout) == (0, "moin, world\n")

    # the plugin's URL scheme is accepted by the core's import validation
    db = tmp_path / "x.db"
    config.write_text(f'[database]\nurl = "sqlite:///{db}"\n')
    deployment = tmp_path / "d.toml"
    deployment.write_text(
        '[[category]]\nname = "C"\nproduct = "P"\ntopdir = "pub/c"\n'
        '[[site]]\nname = "S"\n[[site.host]]\nname = "h"\ncountry = "NL"\n'
        '[[site.host.category]]\nname = "C"\nurls = ["gopher://h.example/c"]\n'
    )
    assert run_cli("--config", str(config), "db", "upgrade", cwd=tmp_path).returncode == 0
    imported = run_cli("--config", str(config), "import", str(deployment), env=env, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    without = run_cli("--config", str(config), "import", "--dry-run", str(deployment), cwd=tmp_path)
    assert without.returncode == 1  # without the plugin, nothing handles gopher:// URLs
    assert "unsupported URL scheme in 'gopher://h.example/c'" in without.stderr


def test_without_the_plugin_its_command_is_unknown(tmp_path):
    result = run_cli("example-hello", "x", cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
