"""The web UI in a real browser (Debian's chromium, headless, driven by Playwright): a mirror
owner registers, confirms by the logged mail, creates a site with a host carrying a category,
a URL and a netblock, finds the host in the public list and a propagation chart, logs out --
at desktop and phone width.  Screenshots go to ``var/screenshots/``."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve

from mirrormanager_pg_store.store import SqlStore
from mirrormanager_quart_ui.app import create_app
from mirrormanager_quart_ui.config import UiConfig

from tests.system_tools import needs
from tests.ui.browser import CHROMIUM, BrowserSession
from tests.ui.conftest import make_runtime
from tests.ui.seed import record_up_to_date, seed_content

SCREENSHOTS = Path(__file__).parents[2] / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = [needs(os.path.exists(CHROMIUM), "chromium is not installed (Debian package "
                    "chromium)"), pytest.mark.slow]


@pytest.fixture(scope="session")
def chromium() -> Iterator[BrowserSession]:
    session = BrowserSession()
    yield session
    session.close()


class MailBox(logging.Handler):
    """Collects the mails the UI writes to the log (no SMTP server configured)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.mails: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.mails.append(record.getMessage())

    def link(self, kind: str) -> str:
        for mail in reversed(self.mails):
            found = re.search(rf"https?://\S+/{kind}/\S+", mail)
            if found:
                return found.group(0)
        raise AssertionError(f"no {kind} link in {self.mails}")


@pytest.fixture
def mailbox() -> Iterator[MailBox]:
    box = MailBox()
    logger = logging.getLogger("mirrormanager_quart_ui.mail")
    logger.addHandler(box)
    logger.setLevel(logging.INFO)
    yield box
    logger.removeHandler(box)


@pytest.fixture
async def served(nursery: trio.Nursery, tmp_path: Path) -> Any:
    store = SqlStore(f"sqlite:///{tmp_path / 'ui.db'}")
    store.upgrade()
    content = seed_content(store)
    runtime = make_runtime(store, tmp_path)
    app = create_app(runtime, runtime.section("ui", UiConfig))
    config = HypercornConfig()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    binds = await nursery.start(partial(serve, app, config))
    yield binds[0].rstrip("/"), store, content
    store.close()


def _owner_flow(browser: Any, base: str, store: Any, mailbox: MailBox, viewport: dict,
                tag: str) -> dict[str, Any]:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15000)
    seen: dict[str, Any] = {}
    user = f"alice{tag}"
    page.goto(f"{base}/register")
    page.fill("#username", user)
    page.fill("#email", f"{user}@example.org")
    page.fill("#password", "a long enough password")
    page.click("#register")
    assert "Check your mail" in page.inner_text("h1")
    page.goto(mailbox.link("confirm"))
    page.click("#confirm")
    assert "confirmed" in page.inner_text("#message")

    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", "a long enough password")
    page.click("#login")
    page.wait_for_url(f"{base}/sites")
    page.click("#new-site")
    page.fill("#name", f"Example Mirrors {tag}")
    page.fill("#org_url", "https://mirrors.example.org")
    page.click("#create-site")
    page.wait_for_url(re.compile(r".*/site/\d+$"))
    page.click("#new-host")
    page.fill("#name", f"mirror-{tag}.example.org")
    page.fill("#country", "DE")
    page.fill("#bandwidth_int", "1000")
    page.click("#create-host")
    page.wait_for_url(re.compile(r".*/host/\d+$"))
    host_id = int(page.url.rsplit("/", 1)[1])
    page.select_option("#hc-category_id", label="Fedora Linux")
    page.click("#add-category button[type=submit]")
    page.wait_for_selector(".category h3")
    page.fill("[id^=url-][id$=-url]", f"https://mirror-{tag}.example.org/fedora/linux")
    page.click(".category form.row:has([id$=-url]) button")
    page.wait_for_selector(f"text=https://mirror-{tag}.example.org/fedora/linux")
    page.fill("#nb-netblock", "203.0.113.0/24")
    page.fill("#nb-name", "office")
    page.click("#netblocks-h ~ form button")
    page.wait_for_selector("#host_netblock-list >> text=203.0.113.0/24")
    # the crawler finds the host up to date
    hc_id = int(page.get_attribute(".category", "id").split("-")[1])
    record_up_to_date(store, host_id, hc_id)
    page.reload()
    assert "1 of 1 directories up to date" in page.inner_text(".category")
    page.screenshot(path=str(SCREENSHOTS / f"host-page-{tag}.png"), full_page=True)
    seen["host_overflow"] = page.evaluate("document.documentElement.scrollWidth - innerWidth")

    page.goto(f"{base}/mirrors/Fedora/40/x86_64")
    assert f"mirror-{tag}.example.org" in page.inner_text("#mirrors")
    page.screenshot(path=str(SCREENSHOTS / f"mirror-list-{tag}.png"), full_page=True)
    seen["list_overflow"] = page.evaluate("document.documentElement.scrollWidth - innerWidth")

    page.goto(f"{base}/propagation")
    page.click("text=fedora-40")
    seen["bars"] = page.locator("#propagation-chart svg rect.bar[fill='#009E73']").count()
    page.click("#logout")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/host/{host_id}")
    seen["after_logout"] = page.url
    context.close()
    return seen


@pytest.mark.parametrize("viewport,tag", [(DESKTOP, "desktop"), (PHONE, "phone")])
async def test_owner_flow_in_a_browser(served: Any, chromium: BrowserSession, mailbox: MailBox,
                                       viewport: dict, tag: str) -> None:
    base, store, _content = served
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    seen = await trio.to_thread.run_sync(
        chromium.run, lambda browser: _owner_flow(browser, base, store, mailbox, viewport, tag))
    assert seen["bars"] == 8  # one "same day" segment per propagation run
    assert seen["after_logout"].startswith(f"{base}/login")  # the session ended
    assert seen["host_overflow"] <= 1 and seen["list_overflow"] <= 1  # no sideways scrolling
    assert (SCREENSHOTS / f"host-page-{tag}.png").stat().st_size > 10_000
    assert (SCREENSHOTS / f"mirror-list-{tag}.png").stat().st_size > 5_000
