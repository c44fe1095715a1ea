"""What plugins hand the web UI through its hooks (see :mod:`mirrormanager_quart_ui.hookspecs`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

import attrs
from quart import Blueprint

if TYPE_CHECKING:
    from quart import Request

    from mmcore.accounts.identity import Identity
    from mmcore.manage.rules import Actor
    from mmcore.manage.store import HostDetail

#: who sees a navigation entry
AUDIENCES = ("anyone", "anonymous", "user", "admin")


@attrs.frozen
class UiRoutes:
    """A blueprint to register, and how its requests are protected."""

    blueprint: Blueprint
    #: skip the CSRF check for this blueprint's state-changing requests; only for endpoints that
    #: never act on the session cookie's authority (an XML-RPC endpoint authenticated by its
    #: payload, an API authenticated by an ``Authorization`` header)
    csrf_exempt: bool = False
    #: URL prefix (``/api/v1``); ``None``: the blueprint's own
    url_prefix: str | None = None


@attrs.frozen
class NavEntry:
    """A link of the navigation bar."""

    label: str
    #: a Quart endpoint (``"public.mirrors"``) or an absolute path (``"/docs"``)
    target: str
    #: ``anyone``, ``anonymous`` (not logged in), ``user`` (logged in), ``admin``
    audience: str = attrs.field(default="anyone", validator=attrs.validators.in_(AUDIENCES))
    #: entries are shown by ascending order, then label
    order: int = 100


@attrs.frozen
class HostPanel:
    """A section of the host page, below the built-in ones.

    ``render(host, actor)`` returns the panel's HTML (escape what you interpolate: use
    ``markupsafe.escape`` or a Jinja template with autoescaping).  It is awaited in the request,
    so it may read the database through ``await ui.db(fn, ...)``; it must not block the thread.
    """

    title: str
    render: Callable[[HostDetail, Actor], Awaitable[str]]
    order: int = 100


class Authenticator(Protocol):
    """Authenticates requests its own way (an ``Authorization: Bearer`` token, a client
    certificate).  A request an authenticator identifies is not checked for a CSRF token: its
    authority does not come from a cookie the browser adds by itself."""

    #: shown in logs
    name: str

    async def authenticate(self, request: Request) -> Identity | None:
        """The identity the request proves, or ``None`` to leave it to the next authenticator
        and then to the session cookie.  Raise ``quart.exceptions.Unauthorized`` (or abort
        with 401) for credentials that are present but wrong."""
        ...
