"""The ``[checkin]`` configuration section: what one report_mirror check-in may cost."""

from __future__ import annotations

import attrs
from attrs import validators as v

MIB = 1024 * 1024


def _int_range(low: int, high: int) -> object:
    return v.and_(v.instance_of(int), v.ge(low), v.le(high))


@attrs.frozen
class CheckinConfig:
    """``[checkin]``: limits of report_mirror check-ins (``POST /xmlrpc`` of the web UI); every
    key optional."""

    #: largest XML-RPC request body accepted, bytes (the web application's own request limit,
    #: 16 MiB, applies too)
    max_request_bytes: int = attrs.field(default=16 * MIB, validator=_int_range(1024, 1024 * MIB))
    #: largest decompressed report, bytes; decompression stops there (a bzip2 bomb fails fast)
    max_payload_bytes: int = attrs.field(default=32 * MIB, validator=_int_range(1024, 1024 * MIB))
    #: most directories one check-in may list, all categories together
    max_directories: int = attrs.field(default=250_000, validator=_int_range(1, 10_000_000))
    #: failed check-ins (wrong password) of one site within ``failure_window`` after which the
    #: site's check-ins are refused until the window has passed
    max_failures: int = attrs.field(default=5, validator=_int_range(1, 1_000_000))
    #: seconds over which failed check-ins are counted
    failure_window: int = attrs.field(default=900, validator=_int_range(1, 7 * 86400))
    #: reports decoded at once (each may hold several times ``max_payload_bytes`` of memory)
    concurrent_decodes: int = attrs.field(default=2, validator=_int_range(1, 64))
