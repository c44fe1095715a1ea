"""The key that signs the UI's session cookies: ``[ui] secret_key``, else a random one kept in
``<data_dir>/ui-secret-key``, made once (before the workers start, when there are several: a
key per process would refuse the others' cookies)."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from mmcore.atomic import write_atomically
from mmcore.logs import kv

from mirrormanager_quart_ui.config import UiConfig

log = logging.getLogger(__name__)

SECRET_FILE = "ui-secret-key"


def secret_key(settings: UiConfig, data_dir: Path) -> str:
    """``[ui] secret_key``, else the one kept in ``<data_dir>/ui-secret-key`` (created once)."""
    if settings.secret_key:
        return settings.secret_key
    path = data_dir / SECRET_FILE
    try:
        return path.read_text("ascii").strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(48)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, key.encode("ascii"), mode=0o600)
        log.warning(kv(event="secret_key_created", path=path,
                       hint="set [ui] secret_key when several hosts serve the UI"))
        return key
