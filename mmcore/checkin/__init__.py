"""report_mirror check-ins: private mirrors push the directories they carry.

MirrorManager2's ``report_mirror`` client walks the categories a private mirror carries and sends
them over XML-RPC (``checkin(data)``, ``data`` = urlsafe base64 of bzip2 of JSON).  This package
is the transport-free part of the server side:

* :mod:`mmcore.checkin.config` -- the ``[checkin]`` limits;
* :mod:`mmcore.checkin.payload` -- decoding ``data`` under those limits (never a pickle);
* :mod:`mmcore.checkin.report` -- MirrorManager2's validation and messages;
* :mod:`mmcore.checkin.plan` -- what one report changes in ``host_category_dir``;
* :mod:`mmcore.checkin.store` -- what the check-in needs from storage;
* :mod:`mmcore.checkin.service` -- one check-in from start to end (password, rate limit,
  private-only rule, the transaction, the event).

The XML-RPC endpoint lives in the web UI plugin, the ``report-mirror`` client in its own small
distribution (``plugins/report_mirror``).
"""
