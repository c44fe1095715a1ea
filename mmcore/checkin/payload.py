"""Decoding the argument of ``checkin(data)``: urlsafe base64 of bzip2 of JSON.

MirrorManager2 fell back to ``pickle.loads`` when the JSON did not parse -- unauthenticated code
execution.  Here a pickle is recognised (by reading its opcodes with :mod:`pickletools`, which
never imports or calls anything) only to say so in the error; it is never unpickled.

Every step is bounded: the base64 text by the request size the endpoint accepts, the
decompressed bytes by ``max_payload_bytes`` (decompression stops one byte past it, so a bzip2
bomb costs at most that much work and memory), the number of JSON containers by
``max_containers`` (counted before parsing, so a report of a million empty lists is refused
before Python builds them).  Every failure is a :class:`PayloadError`; nothing else escapes.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import json
import pickletools
from typing import Any

_BZ2_MAGIC = b"BZh"
_WHITESPACE = b" \t\r\n"


class PayloadError(Exception):
    """The payload cannot be decoded; ``str()`` says why, for the client."""


def decode_payload(data: object, *, max_payload_bytes: int, max_containers: int) -> Any:
    """The JSON value ``data`` carries.

    :param data: the XML-RPC argument (a string for every report_mirror client).
    :param max_payload_bytes: largest decompressed size accepted.
    :param max_containers: most JSON objects and arrays accepted (each directory of a report is
        one empty object).
    :raises PayloadError: not a string, not base64, not bzip2, too large, a pickle, not JSON.
    """
    if isinstance(data, bytes):
        raw_text = data
    elif isinstance(data, str):
        try:
            raw_text = data.encode("ascii")
        except UnicodeEncodeError:
            raise PayloadError("payload is not base64: it has non-ASCII characters") from None
    else:
        raise PayloadError(
            f"checkin takes one string (urlsafe base64 of bzip2 of JSON), got {type(data).__name__}"
        )
    compressed = _unbase64(raw_text)
    raw = _bunzip2(compressed, max_payload_bytes)
    return _parse_json(raw, max_containers)


def _unbase64(text: bytes) -> bytes:
    # both alphabets, as MirrorManager2's urlsafe_b64decode accepted; line breaks are ignored
    cleaned = text.translate(None, _WHITESPACE)
    try:
        return base64.b64decode(cleaned, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PayloadError(f"payload is not base64: {exc}") from None


def _bunzip2(data: bytes, limit: int) -> bytes:
    """Decompress every bzip2 stream of ``data``, refusing output beyond ``limit`` bytes."""
    if not data.startswith(_BZ2_MAGIC):
        raise PayloadError("payload is not bzip2-compressed (it does not start with 'BZh')")
    out = bytearray()
    rest = data
    while rest:
        if not rest.startswith(_BZ2_MAGIC):
            raise PayloadError("payload has trailing bytes after its bzip2 data")
        decompressor = bz2.BZ2Decompressor()
        try:
            out += decompressor.decompress(rest, max_length=limit - len(out) + 1)
        except (OSError, ValueError, EOFError) as exc:
            raise PayloadError(f"payload is not valid bzip2 data: {exc}") from None
        if len(out) > limit:
            raise PayloadError(
                f"payload decompresses to more than {limit} bytes (the [checkin] "
                "max_payload_bytes limit); decompression was stopped there"
            )
        if not decompressor.eof:
            raise PayloadError("payload's bzip2 data is truncated")
        rest = decompressor.unused_data
    return bytes(out)


def _parse_json(raw: bytes, max_containers: int) -> Any:
    containers = raw.count(b"{") + raw.count(b"[")
    if containers > max_containers:
        raise PayloadError(
            f"payload has more than {max_containers} JSON objects and arrays "
            "(the [checkin] max_directories limit)"
        )
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        if _is_pickle(raw):
            raise PayloadError(
                "payload is a Python pickle (an old report_mirror client); pickles are refused "
                "and never unpickled: upgrade report_mirror to a version that sends JSON"
            ) from None
        reason = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
        raise PayloadError(f"payload is not JSON: {reason[:200]}") from None


def _is_pickle(raw: bytes) -> bool:
    """Whether ``raw`` is a well-formed pickle, judged from its opcodes alone."""
    if not raw.endswith(b"."):
        return False
    try:
        for opcode, _arg, _pos in pickletools.genops(raw):
            if opcode.name == "STOP":
                return True
    except Exception:  # not a pickle; pickletools raises whatever its readers do
        return False
    return False
