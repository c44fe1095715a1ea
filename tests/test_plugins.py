"""Plugins are found through the ``mirrormanager`` entry-point group, built-in or third-party."""

from __future__ import annotations

from installed import parse_plugins_output, pip_install, run_cli


SHIPPED_PLUGINS = {
    "pg_store": "mirrormanager-pg-store",
    "rsync": "mirrormanager-rsync",
    "http": "mirrormanager-http",
    "ftp": "mirrormanager-ftp",
    "quart_ui": "mirrormanager-quart-ui",
    "mirrorlist": "mirrormanager-mirrorlist",
    "ops": "mirrormanager-ops",
    "amqp": "mirrormanager-amqp",
}


def test_plugins_lists_the_shipped_plugins_with_their_hooks(tmp_path):
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
    assert "mm_cli_commands" in plugins["ops"][1]
    assert {"mm_event_host_disabled", "mm_event_host_added"} <= set(plugins["amqp"][1])
    # built-in behaviour comes through the same hooks, from the core distribution
    assert plugins["core_commands"][0] == "mirrormanager 0.1.0"


def test_a_separately_installed_plugin_is_picked_up(tmp_path):
    """Install tests/example_plugin with pip into its own directory; the unchanged core finds
    its crawl protocol, its configuration section and its command through the entry point."""
    target = tmp_path / "site"
    pip_install(target, "example_plugin")
    env = {"PYTHONPATH": str(target)}

    listing = parse_plugins_output(run_cli("plugins", env=env, cwd=tmp_path).stdout)
    assert listing["example"] == (
        "mm-example-plugin 0.3.1",
        ["mm_addhooks", "mm_cli_commands", "mm_config_sections", "mm_crawl_protocols"],
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


def test_a_plugin_implements_a_hook_another_plugin_added(tmp_path):
    """tests/example_plugin adds the hook spec ``mm_example_greetings`` through
    ``mm_addhooks``; tests/example_greeter, a second package, implements it.  The core knows
    neither: the greeting reaches the command through the plugin manager."""
    target = tmp_path / "site"
    pip_install(target, "example_plugin", "example_greeter")
    env = {"PYTHONPATH": str(target)}
    listing = parse_plugins_output(run_cli("plugins", env=env, cwd=tmp_path).stdout)
    assert listing["greeter"] == ("mm-example-greeter 0.1.0", ["mm_example_greetings"])
    hello = run_cli("example-hello", "world", env=env, cwd=tmp_path)
    assert (hello.returncode, hello.stdout) == (
        0, "hello, world\ngreetings from the greeter, world\n"
    )


def test_a_plugin_implementing_a_hook_nobody_specified_is_listed_broken(tmp_path):
    """Without the plugin that adds the hook, the greeter implements an unknown hook: it is
    listed as BROKEN (exit 1) and every other plugin keeps working."""
    target = tmp_path / "site"
    pip_install(target, "example_greeter")
    env = {"PYTHONPATH": str(target)}
    result = run_cli("plugins", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "greeter: mm-example-greeter BROKEN:" in result.stdout
    assert "mm_example_greetings" in result.stdout
    listing = parse_plugins_output(result.stdout)
    assert "mm_open_store" in listing["pg_store"][1]
    assert run_cli("config", "show", env=env, cwd=tmp_path).returncode == 0


def test_without_the_plugin_its_command_is_unknown(tmp_path):
    result = run_cli("example-hello", "x", cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
