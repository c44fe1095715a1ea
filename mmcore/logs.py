"""Logging: structured ``key=value`` lines that say what happened to what."""

from __future__ import annotations

import logging
import sys
from typing import Any

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(verbosity: int = 0) -> None:
    """Log to stderr: INFO by default, DEBUG with ``-v``, WARNING and up with ``-q``."""
    level = logging.DEBUG if verbosity > 0 else logging.INFO
    if verbosity < 0:
        level = logging.WARNING
    root = logging.getLogger()
    if not any(getattr(h, "_mirrormanager", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT, datefmt="%Y-%m-%dT%H:%M:%S"))
        handler._mirrormanager = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    # alembic says which plugins it set up on every run: only worth reading when debugging
    logging.getLogger("alembic").setLevel(logging.DEBUG if verbosity > 0 else logging.WARNING)


def kv(**fields: Any) -> str:
    """``kv(host="a b", ok=3)`` -> ``host="a b" ok=3``: one structured log payload."""
    parts = []
    for key, value in fields.items():
        text = str(value)
        if not text or any(ch.isspace() or ch in '"=' for ch in text):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        parts.append(f"{key}={text}")
    return " ".join(parts)
