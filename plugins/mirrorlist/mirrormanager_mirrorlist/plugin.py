"""Hook implementations of the mirrorlist plugin: the ``protobuf`` cache writer, its
``cache write`` command and the ``[mirrorlist]`` configuration section (list-server hooks
follow below)."""

from __future__ import annotations

from mmcore import hookimpl


@hookimpl
def mm_config_sections():
    from mirrormanager_mirrorlist.config import MirrorlistConfig

    return {"mirrorlist": MirrorlistConfig}


@hookimpl
def mm_cache_writers():
    from mirrormanager_mirrorlist.writer import ProtobufCacheWriter

    return [ProtobufCacheWriter()]


@hookimpl
def mm_cli_commands():
    from mirrormanager_mirrorlist.cache_command import cache_write_command

    from mirrormanager_mirrorlist.frontend import serve_mirrorlist_command

    commands = [cache_write_command(), serve_mirrorlist_command()]
    return commands


@hookimpl
def mm_frontends():
    from mirrormanager_mirrorlist.frontend import MirrorlistFrontend

    return [MirrorlistFrontend()]
