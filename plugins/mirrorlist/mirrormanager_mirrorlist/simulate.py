"""Explaining answers outside the list server: the ``mm_explain_answer`` hook.

The web UI's "what would a client get" page asks, for an address and a repository, what the list
server would answer and why.  :class:`Explainer` loads the same inputs the server is configured
with (``[mirrorlist]`` ``cache_path``, ``geoip``, ``netblocks``, ``continents``) on first use, in
the asking process, follows their changes as the server does (a bad new file keeps the last good
generation), and runs the server's own ``explain=1`` path on them: the document is the one
``/mirrorlist?…&explain=1`` gives, for the cache on disk.
"""

from __future__ import annotations

import json
import logging
import threading
import weakref
from pathlib import Path
from typing import Any

from mirrormanager_mirrorlist.config import MirrorlistConfig
from mirrormanager_mirrorlist.httpmessages import Request
from mirrormanager_mirrorlist.inputs import InputPaths, Inputs, LoadError

log = logging.getLogger(__name__)

ENDPOINTS = ("/mirrorlist", "/metalink")
#: parameters the page may not pass through (the explainer sets them)
RESERVED = ("ip", "explain")


class Explainer:
    """A list service over the configured inputs, loaded once and refreshed when they change."""

    def __init__(self, section: MirrorlistConfig) -> None:
        def optional(value: str) -> Path | None:
            return Path(value) if value else None

        self.paths = InputPaths(cache=Path(section.cache_path), geoip=optional(section.geoip),
                                netblocks=optional(section.netblocks),
                                continents=optional(section.continents))
        self.section = section
        self._inputs: Inputs | None = None
        self._lock = threading.Lock()

    def _service(self) -> Any:
        from mirrormanager_mirrorlist.app import ListService

        if self._inputs is None:
            inputs = Inputs(self.paths, view_capacity=self.section.view_capacity,
                            validate=self.section.validate_cache)
            inputs.load_all()
            self._inputs = inputs
        else:
            self._inputs.refresh()
        return ListService(self._inputs, minimum=self.section.minimum, access_log=None)

    def explain(self, path: str, query: str, address: str) -> dict[str, Any] | None:
        """The ``explain=1`` document for a client at ``address``; ``None`` when the
        configured cache cannot be loaded (logged)."""
        if path not in ENDPOINTS:
            raise ValueError(f"path must be one of {', '.join(ENDPOINTS)}")
        kept = [part for part in query.split("&")
                if part and part.split("=", 1)[0] not in RESERVED]
        full = "&".join([*kept, f"ip={address}", "explain=1"])
        with self._lock:
            try:
                service = self._service()
            except LoadError as exc:
                log.warning("event=explain_unavailable cache=%s problem=%s", self.paths.cache, exc)
                return None
            answer = service.answer(Request(path, full, None, "127.0.0.1"))
        if answer.content_type != "application/json":  # no cache loaded yet: a plain error
            return {"answer": {"status": answer.status, "body": answer.body}}
        return json.loads(answer.body)


_explainers: weakref.WeakKeyDictionary[Any, Explainer] = weakref.WeakKeyDictionary()


def explainer_for(runtime: Any) -> Explainer:
    """The runtime's explainer (one per runtime: its cache stays loaded between pages)."""
    found = _explainers.get(runtime)
    if found is None:
        found = _explainers[runtime] = Explainer(runtime.section("mirrorlist", MirrorlistConfig))
    return found
