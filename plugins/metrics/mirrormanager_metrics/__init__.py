"""MirrorManager plugin: Prometheus metrics of the crawler (``[metrics]``)."""
