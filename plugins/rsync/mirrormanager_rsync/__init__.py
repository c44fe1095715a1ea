"""rsync for MirrorManager: scanner sources (``rsync``, ``file``) and the rsync crawl protocol."""

__version__ = "0.1.0"
