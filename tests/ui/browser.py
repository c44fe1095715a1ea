"""One headless Chromium for the whole test session, driven by Playwright's sync API.

Playwright's sync objects belong to the thread that made them, so the browser lives in a thread
of its own and tests hand it work (``run(fn)``: ``fn(browser)`` runs there).  From trio:
``await trio.to_thread.run_sync(session.run, fn)``.  Debian's chromium is used as it is (never
``playwright install``); without it the browser tests skip, or fail under CI.
"""

from __future__ import annotations

import concurrent.futures
import queue
import threading
from collections.abc import Callable
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]
#: seconds one job may take
JOB_TIMEOUT = 120


class BrowserSession:
    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Callable[[Any], Any], concurrent.futures.Future] | None] = (
            queue.Queue())
        self._started: concurrent.futures.Future = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._main, name="chromium", daemon=True)
        self._thread.start()
        self._started.result(timeout=60)

    def _main(self) -> None:
        try:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                self._started.set_result(browser.version)
                while (job := self._jobs.get()) is not None:
                    fn, done = job
                    try:
                        done.set_result(fn(browser))
                    except BaseException as exc:  # handed to the test
                        done.set_exception(exc)
                browser.close()
        except BaseException as exc:
            if not self._started.done():
                self._started.set_exception(exc)

    def run(self, fn: Callable[[Any], Any]) -> Any:
        done: concurrent.futures.Future = concurrent.futures.Future()
        self._jobs.put((fn, done))
        return done.result(timeout=JOB_TIMEOUT)

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=30)
