"""Tests that need a system tool (``rsync``, ``aria2c``, ``dnf``, ...).

``scripts/install`` installs every one of them, so under CI (``CI`` set) a missing tool is a
failure of the test that needs it, never a skip; on a developer machine without it, the test is
skipped with the Debian package to install.
"""

from __future__ import annotations

import os
import shutil

import pytest


def needs(available: bool, what: str) -> pytest.MarkDecorator:
    """Skip when ``available`` is false, except under CI (the test then runs and fails)."""
    return pytest.mark.skipif(not available and not os.environ.get("CI"),
                              reason=f"{what} (scripts/install installs it)")


def needs_command(command: str, package: str) -> pytest.MarkDecorator:
    """Skip without ``command`` on the PATH (Debian package ``package``), except under CI."""
    return needs(shutil.which(command) is not None,
                 f"{command} is not installed (Debian package {package})")


needs_rsync = needs_command("rsync", "rsync")
needs_aria2c = needs_command("aria2c", "aria2")
