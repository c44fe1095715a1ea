"""Hook implementations of the mirrorlist plugin: the ``[mirrorlist]`` configuration section,
the ``protobuf`` cache writer (run by the core's ``cache write``) and the ``mirrorlist``
frontend (run by the core's ``serve mirrorlist``).  Light: the writer and the server are imported
when they run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mmcore import hookimpl
from mirrormanager_mirrorlist.frontend import MirrorlistFrontend

if TYPE_CHECKING:
    from mmcore.cache import CacheWriter
    from mmcore.frontend import Frontend


@hookimpl
def mm_config_sections() -> dict[str, type]:
    from mirrormanager_mirrorlist.config import MirrorlistConfig

    return {"mirrorlist": MirrorlistConfig}


@hookimpl
def mm_cache_writers() -> list[CacheWriter]:
    from mirrormanager_mirrorlist.writer import ProtobufCacheWriter

    return [ProtobufCacheWriter()]


@hookimpl
def mm_frontends() -> list[Frontend]:
    return [MirrorlistFrontend()]


@hookimpl
def mm_explain_answer(runtime: Any, path: str, query: str, address: str) -> dict[str, Any] | None:
    from mirrormanager_mirrorlist.simulate import explainer_for

    return explainer_for(runtime).explain(path, query, address)
