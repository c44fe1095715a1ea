"""Hook implementations of the HTTP(S) plugin: the ``http``/``https`` crawl protocol."""

from __future__ import annotations

from mmcore import hookimpl


@hookimpl
def mm_crawl_protocols():
    from mirrormanager_http.protocol import HttpProtocol

    return [HttpProtocol()]
