"""What every page of the app shares (:class:`UiContext`) and who is asking
(:func:`current_actor`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import trio
from quart import current_app, g

from mmcore.accounts.api_tokens import ApiTokenService
from mmcore.accounts.identity import Identity
from mmcore.accounts.service import AccountService, MailMessage
from mmcore.db import run_db
from mmcore.manage.rules import ANONYMOUS, Actor
from mmcore.manage.service import ManageService

from mirrormanager_quart_ui.config import UiConfig

if TYPE_CHECKING:
    from mmcore.store import Store

    from mirrormanager_quart_ui.extension import Authenticator, HostPanel, NavEntry

log = logging.getLogger(__name__)
T = TypeVar("T")

EXTENSION_KEY = "mirrormanager"


class TtlCache:
    """A small in-process cache of rendered public pages (bounded in size and age)."""

    def __init__(self, seconds: float, max_entries: int = 512) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[Any, tuple[float, Any]] = {}

    async def get(self, key: Any, produce: Callable[[], Awaitable[T]]) -> T:
        if self.seconds <= 0:
            return await produce()
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = await produce()
        if len(self._entries) >= self.max_entries:
            self._entries = {k: e for k, e in self._entries.items() if e[0] > now}
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
        self._entries[key] = (now + self.seconds, value)
        return value

    def forget(self, key: Any) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


@attrs.define
class UiContext:
    """The app's shared state: built once by :func:`mirrormanager_quart_ui.app.create_app`."""

    runtime: Any
    settings: UiConfig
    store: Store
    manage: ManageService
    accounts: AccountService
    #: the JSON API's tokens
    api_tokens: ApiTokenService
    #: where the crawler writes ``<host id>.log`` (``None``: no logs kept)
    crawl_log_dir: Path | None = None
    navigation: list[NavEntry] = attrs.field(factory=list)
    host_panels: list[HostPanel] = attrs.field(factory=list)
    authenticators: list[Authenticator] = attrs.field(factory=list)
    #: names of blueprints whose requests skip the CSRF check
    csrf_exempt: set[str] = attrs.field(factory=set)
    public_cache: TtlCache = attrs.field(factory=lambda: TtlCache(0))
    #: per host: its categories' directory counts (the host page's costly part)
    host_counts: TtlCache = attrs.field(factory=lambda: TtlCache(0))

    @property
    def plugin_manager(self) -> Any:
        return self.runtime.plugin_manager

    async def db(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a blocking store call (or a service method) in a worker thread."""
        return await run_db(self.store, fn, *args, **kwargs)

    def announce(self, event: object) -> None:
        """Announce an event after a commit (never raises)."""
        self.runtime.announce(event)

    def announce_all(self, events: tuple[object, ...]) -> None:
        """Announce a committed change's events and forget what it may have made stale."""
        for event in events:
            self.announce(event)
        self.changed()

    def changed(self) -> None:
        """Something was written: drop the cached public pages and directory counts."""
        self.public_cache.clear()
        self.host_counts.clear()

    async def send_mail(self, message: MailMessage) -> bool:
        """Hand a mail to the ``mm_ui_send_mail`` hook in a worker thread; ``False`` when no
        implementation delivered it (logged)."""
        hook = self.plugin_manager.hook.mm_ui_send_mail

        def deliver() -> bool:
            try:
                return bool(hook(message=message, runtime=self.runtime, ui=self))
            except Exception:
                log.exception("mail to %s could not be sent", message.to)
                return False

        return await trio.to_thread.run_sync(deliver)

    def actor_for(self, identity: Identity | None) -> Actor:
        if identity is None:
            return ANONYMOUS
        return Actor.of(identity.username, identity.groups, self.settings.admin_groups)


def ui_context() -> UiContext:
    """The context of the app serving the current request."""
    return current_app.extensions[EXTENSION_KEY]


def current_actor() -> Actor:
    """Who sends the current request (anonymous when nobody is logged in)."""
    return getattr(g, "actor", ANONYMOUS)


def current_identity() -> Identity | None:
    return getattr(g, "identity", None)
