"""The ``[checkin]`` configuration section: what one report_mirror check-in may cost."""

from __future__ import annotations

import attrs

from mmcore.validators import between

MIB = 1024 * 1024


@attrs.frozen
class CheckinConfig:
    """``[checkin]``: limits of report_mirror check-ins (``POST /xmlrpc`` of the web UI); every
    key optional."""

    #: largest XML-RPC request body accepted, bytes (about 2 bytes per directory reported;
    #: ``[ui] max_request_bytes`` bounds it too)
    max_request_bytes: int = attrs.field(default=1 * MIB, validator=between(1024, 1024 * MIB))
    #: largest decompressed report, bytes; decompression stops there (a bzip2 bomb fails fast)
    max_payload_bytes: int = attrs.field(default=32 * MIB, validator=between(1024, 1024 * MIB))
    #: most directories one check-in may list, all categories together
    max_directories: int = attrs.field(default=250_000, validator=between(1, 10_000_000))
    #: failed check-ins (wrong password) of one site within ``failure_window`` after which the
    #: site's check-ins are refused until the window has passed
    max_failures: int = attrs.field(default=5, validator=between(1, 1_000_000))
    #: seconds over which failed check-ins are counted
    failure_window: int = attrs.field(default=900, validator=between(1, 7 * 86400))
    #: reports decoded at once (each may hold several times ``max_payload_bytes`` of memory)
    concurrent_decodes: int = attrs.field(default=2, validator=between(1, 64))
