"""``python -m mirrormanager_mirrorlist.worker SETTINGS_JSON``: one list-server worker process."""

import sys

from mirrormanager_mirrorlist.server import worker_main

if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
