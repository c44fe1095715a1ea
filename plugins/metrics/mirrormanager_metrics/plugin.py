"""Hook implementations: the ``[metrics]`` section and the crawl events the crawler's metrics
are made of.  Light on purpose: ``prometheus_client`` is imported when a crawl with metrics
starts."""

from __future__ import annotations

from typing import Any

from mmcore import hookimpl


@hookimpl
def mm_config_sections() -> dict[str, type]:
    from .config import MetricsConfig

    return {"metrics": MetricsConfig}


@hookimpl
def mm_event_crawl_started(event: Any, runtime: Any) -> None:
    from .config import MetricsConfig

    config = runtime.section("metrics", MetricsConfig)
    if not (config.crawler_listen or config.crawler_textfile):
        return
    from .crawl import crawl_started

    crawl_started(event, config, runtime.config.data_dir)


@hookimpl
def mm_event_host_crawled(event: Any, runtime: Any) -> None:
    from . import crawl

    if crawl.current is not None:
        crawl.current.host_crawled(event)


@hookimpl
def mm_event_host_disabled(event: Any, runtime: Any) -> None:
    from . import crawl

    if crawl.current is not None:
        crawl.current.host_disabled(event)


@hookimpl
def mm_event_crawl_finished(event: Any, runtime: Any) -> None:
    from . import crawl

    crawl.crawl_finished(event)


@hookimpl
def mm_runtime_closing(runtime: Any) -> None:
    import sys

    crawl = sys.modules.get(f"{__package__}.crawl")
    if crawl is not None:
        crawl.stop_serving()
