"""The ``[metrics]`` configuration table."""

from __future__ import annotations

from typing import Any

import attrs

from mmcore.validators import checked, parse_listen


def _optional_listen(value: Any) -> None:
    if value:
        parse_listen(value)


@attrs.frozen
class MetricsConfig:
    """``[metrics]``: the crawler's Prometheus metrics (the list server's are ``[mirrorlist]
    metrics``)."""

    #: ``HOST:PORT`` where ``mirrormanager crawl`` answers ``/metrics`` while it runs (with
    #: ``--processes``, the parent, summing its children); "" = not served
    crawler_listen: str = attrs.field(default="", validator=checked(_optional_listen))
    #: file the crawl's final metrics are written to when it ends (atomically; for
    #: node_exporter's textfile collector, name it ``*.prom``); "" = none
    crawler_textfile: str = ""
