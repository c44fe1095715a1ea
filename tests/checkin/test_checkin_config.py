"""The ``[checkin]`` section is validated when read."""

from __future__ import annotations

import io

import pytest

from mmcore.cli import main


@pytest.mark.parametrize(("line", "key"), [
    ("max_failures = 0", "max_failures"),
    ("max_payload_bytes = 10", "max_payload_bytes"),
    ('failure_window = "15m"', "failure_window"),
    ("max_directoriess = 5", "max_directoriess"),
])
def test_bad_values_exit_2_naming_the_key(tmp_path, line, key):
    config = tmp_path / "mirrormanager.toml"
    config.write_text(f"[checkin]\n{line}\n")
    err = io.StringIO()
    assert main(["--config", str(config), "plugins"], out=io.StringIO(), err=err) == 2
    assert str(config) in err.getvalue() and key in err.getvalue()
