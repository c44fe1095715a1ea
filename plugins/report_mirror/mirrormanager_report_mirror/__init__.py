"""``mirrormanager report-mirror``: a private mirror tells MirrorManager what it carries.

A reimplementation of MirrorManager2's ``report_mirror`` client: it reads the same INI file,
walks the same directories and sends the same payload (JSON, bzip2, urlsafe base64, XML-RPC
``checkin``), so it works against MirrorManager2's server as well as ours.  Standard library
only: a private mirror installs the core and this package, nothing of the server.
"""
