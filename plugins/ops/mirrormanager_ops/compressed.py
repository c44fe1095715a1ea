"""Opening a file that may be compressed, by its magic bytes: gzip, xz, bzip2 or plain."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from pathlib import Path
from typing import BinaryIO

#: what reading a truncated or corrupt compressed stream raises
READ_ERRORS: tuple[type[BaseException], ...] = (EOFError, OSError, zlib.error, lzma.LZMAError)


def open_decompressed(path: Path) -> BinaryIO:
    """The decompressed content of ``path``."""
    with open(path, "rb") as probe:
        magic = probe.read(6)
    if magic[:2] == b"\x1f\x8b":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if magic == b"\xfd7zXZ\x00":
        return lzma.open(path, "rb")  # type: ignore[return-value]
    if magic[:3] == b"BZh":
        return bz2.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def read_error_reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "the compressed stream is truncated"
    return str(exc) or type(exc).__name__
