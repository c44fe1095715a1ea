"""Local accounts through the pages: registration, confirmation by the mailed link, log-in,
password reset; tokens are one-time and stored hashed; passwords are argon2 hashes."""

from __future__ import annotations

import logging
import re
from typing import Any

import sqlalchemy as sa

from mirrormanager_pg_store import schema as t

from mmcore.accounts import passwords

from tests.ui.conftest import Browser

PASSWORD = "a long enough password"


def _link(caplog: Any, kind: str) -> str:
    for record in reversed(caplog.records):
        found = re.search(rf"https?://\S+(/{kind}/\S+)", record.getMessage())
        if found:
            return found.group(1)
    raise AssertionError(f"no {kind} link was mailed")


async def test_register_confirm_log_in_reset(app: Any, store: Any, caplog: Any) -> None:
    caplog.set_level(logging.INFO, "mirrormanager_quart_ui.mail")
    browser = Browser(app)
    await browser.get("/register")
    response = await browser.post("/register", {"username": "alice", "password": PASSWORD,
                                                "email": "alice@example.org"})
    assert response.status_code == 200 and "Check your mail" in response.text
    confirm = _link(caplog, "confirm")
    # not confirmed yet: the right password is not enough
    response = await browser.post("/login", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 401 and "Confirm your e-mail address" in response.text
    assert (await browser.get(confirm)).status_code == 200  # a page with a button, no change
    assert (await browser.post(confirm)).status_code == 200
    assert (await browser.post(confirm)).status_code == 404  # used once only
    await browser.login("alice", PASSWORD)
    assert (await browser.get("/sites")).status_code == 200

    stored = store.user_by_name("alice")
    assert stored.password.startswith("$argon2id$") and PASSWORD not in stored.password
    with store.engine.connect() as conn:
        hashes = list(conn.execute(sa.select(t.mm_session.c.key_hash)).scalars())
    cookie_values = [c.value for c in browser.client.cookie_jar]
    assert hashes and not any(h in v for h in hashes for v in cookie_values)

    # password reset ends every session and confirms the address
    other = Browser(app)
    await other.get("/password/lost")
    await other.post("/password/lost", {"email": "ALICE@example.org"})
    reset = _link(caplog, "password/reset")
    with store.engine.connect() as conn:
        stored_tokens = list(conn.execute(sa.select(t.mm_user_token.c.token_hash)).scalars())
    assert reset.rsplit("/", 1)[1] not in stored_tokens  # only the hash is kept
    response = await other.post(reset, {"password": "short"})
    assert response.status_code == 422 and "at least 10" in response.text
    response = await other.post(reset, {"password": "a brand new password"})
    assert response.status_code == 200 and "new password is set" in response.text
    assert (await other.post(reset, {"password": "yet another password"})).status_code == 404
    follow = await browser.get("/sites")
    assert follow.status_code == 303  # the old session ended with the reset
    await other.login("alice", "a brand new password")


async def test_registration_refuses_bad_values(app: Any, store: Any) -> None:
    browser = Browser(app)
    await browser.get("/register")
    cases = [
        ({"username": "x" * 17, "email": "a@example.org", "password": PASSWORD}, "at most 16"),
        ({"username": "bad name", "email": "a@example.org", "password": PASSWORD}, "letters"),
        ({"username": "alice", "email": "not-an-address", "password": PASSWORD}, "e-mail"),
        ({"username": "alice", "email": "a@example.org", "password": "short"}, "at least 10"),
    ]
    for form, message in cases:
        response = await browser.post("/register", form)
        assert response.status_code == 422 and message in response.text, form
        assert PASSWORD not in response.text  # the password is never echoed back
    assert store.user_by_name("alice") is None


def test_production_hashes_use_argon2id_defaults(monkeypatch: Any) -> None:
    from argon2 import PasswordHasher

    monkeypatch.setattr(passwords, "_hasher", lambda: PasswordHasher())
    stored = passwords.hash_user_password("a long enough password")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert passwords.verify_user_password("a long enough password", stored)
    assert not passwords.verify_user_password("another password", stored)
    assert not passwords.verify_user_password("anything", None)
    assert not passwords.verify_user_password("anything", "not a hash")
