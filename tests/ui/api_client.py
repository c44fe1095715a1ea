"""A JSON client of the API for the tests: as an actor's browser session (sending the CSRF
header or not) or with an API token, over Quart's test client."""

from __future__ import annotations

import datetime
import json
from typing import Any

from mmcore.accounts.identity import Identity

from tests.ui.conftest import Browser


class Answer:
    def __init__(self, status: int, body: bytes, headers: Any) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.data = json.loads(body) if body and headers.get("Content-Type", "").startswith(
            "application/json") else None

    @property
    def error(self) -> dict[str, Any]:
        assert self.data is not None and set(self.data) == {"error"}, (self.status, self.body)
        assert set(self.data["error"]) == {"code", "message", "field"}, self.data
        return self.data["error"]

    def __repr__(self) -> str:
        return f"<Answer {self.status} {self.body[:300]!r}>"


class Api:
    """``await api.get("/api/v1/sites")``; ``token``: Bearer auth, else ``browser``'s session
    (``csrf``: send its CSRF token in X-CSRF-Token on writes)."""

    def __init__(self, app: Any, *, browser: Browser | None = None, token: str | None = None,
                 csrf: bool = True) -> None:
        self.client = browser.client if browser is not None else app.test_client()
        self.browser = browser
        self.token = token
        self.csrf = csrf

    async def call(self, method: str, path: str, body: Any = None,
                   headers: dict[str, str] | None = None,
                   query_string: dict[str, str] | None = None) -> Answer:
        sent = dict(headers or {})
        if self.token is not None:
            sent["Authorization"] = f"Bearer {self.token}"
        if (self.browser is not None and self.csrf and method != "GET"
                and self.browser.token is not None):
            sent["X-CSRF-Token"] = self.browser.token
        kwargs: dict[str, Any] = {"headers": sent, "query_string": query_string}
        if body is not None:
            kwargs["json"] = body
        response = await self.client.open(path, method=method, **kwargs)
        return Answer(response.status_code, await response.get_data(), response.headers)

    async def get(self, path: str, **kw: Any) -> Answer:
        return await self.call("GET", path, **kw)

    async def post(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return await self.call("POST", path, {} if body is None else body, **kw)

    async def patch(self, path: str, body: Any, **kw: Any) -> Answer:
        return await self.call("PATCH", path, body, **kw)

    async def delete(self, path: str, **kw: Any) -> Answer:
        return await self.call("DELETE", path, **kw)


def make_token(app: Any, username: str, scope: str, *, groups: tuple[str, ...] = (),
               days: int = 30, now: datetime.datetime | None = None,
               provider: str = "local") -> str:
    """A token created as the token page creates one (through the UI's token service), by
    a ``local`` user (whose groups are read again at each use) or an ``oidc`` one (whose
    groups are the ones the token was created with)."""
    ui = app.extensions["mirrormanager"]
    identity = Identity(username, groups, provider=provider)
    created = ui.api_tokens.create(identity, ui.actor_for(identity),
                                   {"name": f"{scope}-{days}-{now}", "scope": scope,
                                    "days": str(days)}, now=now)
    return created.plaintext


async def sessions(app: Any, actors: dict[str, Browser], *, csrf: bool = True) -> dict[str, Api]:
    """An API client per actor, on its logged-in browser session."""
    clients = {}
    for name, browser in actors.items():
        if browser.token is None:
            await browser.get("/login")
        clients[name] = Api(app, browser=browser, csrf=csrf)
    return clients
