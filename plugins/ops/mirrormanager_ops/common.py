"""What every operations command shares: its configuration, refusals as command errors, the
job lock, and the one structured summary line it ends with."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from mmcore.commands import CommandError
from mmcore.joblock import run_locked
from mmcore.logs import kv
from mmcore.ops.store import OpsRefused

from .config import OpsConfig

log = logging.getLogger("mirrormanager_ops")


def ops_config(runtime: Any) -> OpsConfig:
    return runtime.config.section("ops", OpsConfig)


@contextlib.contextmanager
def refusals() -> Iterator[None]:
    """A store's :class:`OpsRefused` becomes a :class:`CommandError` (exit 1, its message)."""
    try:
        yield
    except OpsRefused as exc:
        raise CommandError(str(exc)) from None


def locked(runtime: Any, job: str, work: Callable[[], int]) -> int:
    """``work`` under the job's lock (see :mod:`mmcore.joblock`), refusals as errors."""

    def guarded() -> int:
        with refusals():
            return work()

    return run_locked(runtime, job, guarded)


def summary(runtime: Any, command: str, **fields: Any) -> None:
    """The closing ``key=value`` line, on the command's output and in the log."""
    line = kv(command=command, **{k: str(v).lower() if isinstance(v, bool) else v
                                  for k, v in fields.items()})
    print(line, file=runtime.out)
    log.info(line)
