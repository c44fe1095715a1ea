"""The report_mirror endpoint: XML-RPC ``checkin(data)`` at ``POST /xmlrpc``.

A machine-to-machine endpoint (no session, no CSRF token: the site password inside the report
authenticates it).  The work is :func:`mmcore.checkin.service.check_in`; this package only speaks
XML-RPC (:mod:`.xmlrpc`) and HTTP (:mod:`.blueprint`), and plugs into the UI's ``mm_ui_routes``
hook (:mod:`.plugin`).  This package imports nothing itself, so the hook module stays light.
"""
