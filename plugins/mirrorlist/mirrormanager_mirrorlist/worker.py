"""``python -m mirrormanager_mirrorlist.worker SETTINGS_JSON``: one list-server worker process."""

import signal

# A SIGHUP (a reload) before the worker's own handler is installed must not end the process:
# ignored until then (run_worker installs the handler before it loads anything).
signal.signal(signal.SIGHUP, signal.SIG_IGN)

import sys  # noqa: E402

from mirrormanager_mirrorlist.server import worker_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
