"""The report_mirror endpoint: XML-RPC ``checkin(data)`` at ``POST /xmlrpc``.

A machine-to-machine endpoint (no session, no CSRF token: the site password inside the report
authenticates it).  The work is :func:`mmcore.checkin.service.check_in`; this package only speaks
XML-RPC (:mod:`.xmlrpc`) and HTTP (:mod:`.blueprint`).
"""

from mirrormanager_quart_ui.checkin.blueprint import checkin_blueprint

__all__ = ["checkin_blueprint"]
