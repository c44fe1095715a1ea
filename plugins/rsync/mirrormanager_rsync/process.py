"""Stopping an rsync for good: it runs in its own process group, because rsync forks (generator
and receiver) and a child left behind keeps the pipes open, and the transfer going, after the
process we started was killed."""

from __future__ import annotations

import os
import signal

import trio

#: pass to ``open_process`` / ``run_process`` so that :func:`kill_group` reaches every rsync
NEW_GROUP = {"start_new_session": True}


def kill_group(process: trio.Process) -> None:
    """SIGKILL rsync and whatever it forked (its process group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):  # already gone
        process.kill()


async def deliver_kill_group(process: trio.Process) -> None:
    """``trio.run_process``'s ``deliver_cancel``: no SIGTERM grace, the whole group at once."""
    kill_group(process)
