"""pyftpdlib on 127.0.0.1 serving a directory anonymously; prints ``listening PORT``.

Below a top-level directory named ``hang`` every listing starts (``150``) and never delivers a
byte: a server hanging mid-listing.  Run by the ``ftp_mirrors`` fixture as a subprocess.
"""

from __future__ import annotations

import os
import sys
import time

from pyftpdlib.handlers import FTPHandler

from mirrormanager_devtools.ftpd import serve


class Handler(FTPHandler):
    def _hangs(self, path: str) -> bool:
        relative = os.path.relpath(path, self.authorizer.get_home_dir("anonymous"))
        return relative == "hang" or relative.startswith("hang" + os.sep)

    def ftp_MLSD(self, path):  # noqa: N802 (pyftpdlib's naming)
        if self._hangs(path):
            self.respond("150 File status okay. About to open data connection.")
            time.sleep(3600)
        return super().ftp_MLSD(path)

    def ftp_LIST(self, path):  # noqa: N802
        if self._hangs(path):
            self.respond("150 File status okay. About to open data connection.")
            time.sleep(3600)
        return super().ftp_LIST(path)


if __name__ == "__main__":
    serve(sys.argv[1], handler=Handler)
