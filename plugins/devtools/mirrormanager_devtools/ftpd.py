"""An anonymous, read-only FTP server (pyftpdlib) on loopback; prints ``listening PORT``.

Run as ``python -m mirrormanager_devtools.ftpd ROOT [HOST]``; the demo and the tests start it as a child
process and stop it with SIGTERM.
"""

from __future__ import annotations

import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import ThreadedFTPServer


def serve(root: str, host: str = "127.0.0.1", handler: type[FTPHandler] = FTPHandler) -> None:
    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(root)  # read-only permissions by default
    handler.authorizer = authorizer
    handler.banner = "mirrormanager demo ftpd ready"
    server = ThreadedFTPServer((host, 0), handler)
    print(f"listening {server.address[1]}", flush=True)
    server.serve_forever(handle_exit=True)


if __name__ == "__main__":
    serve(*sys.argv[1:3])
