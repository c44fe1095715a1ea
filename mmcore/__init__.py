"""MirrorManager core: hook specifications, plugin manager, domain model, configuration, CLI and
the engines (scan, crawl) that drive plugins."""

import pluggy

from mmcore.hookspecs import PROJECT_NAME

__version__ = "0.1.0"

#: decorator for hook implementations in plugins: ``@hookimpl def mm_crawl_protocols(): ...``
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["__version__", "hookimpl"]
