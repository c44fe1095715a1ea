"""Registration, e-mail confirmation, log-in with throttling, password reset, sessions.

:class:`AccountService` methods are synchronous (they hash passwords and use the store): call
them from trio through :func:`mmcore.db.run_db` or ``trio.to_thread.run_sync``.  They never say
whether a user name or an e-mail address exists beyond what the user already proved (a correct
password), so the answers do not enumerate accounts:

* a failed log-in says the same for an unknown user, a wrong password and a throttled key;
* registering an address that already has an account sends that address a notice instead of a
  confirmation, and answers exactly like a successful registration;
* asking for a password reset always answers the same.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence

import attrs

from mmcore.accounts.identity import Identity
from mmcore.accounts.passwords import (
    hash_user_password,
    password_problem,
    verify_user_password,
)
from mmcore.accounts.store import AccountStore, SessionRecord
from mmcore.accounts.tokens import new_token, token_hash
from mmcore.manage import fields
from mmcore.manage.errors import Conflict, InvalidInput

#: ``mm_user.user_name`` is String(16) in MirrorManager2's schema
MAX_USERNAME = 16

LOGIN_FAILED = "Wrong user name or password."
REGISTERED = ("Thank you. If the address can receive mail, a message with a confirmation link "
              "is on its way; follow it, then log in.")
RESET_SENT = "If an account has that address, a message with a reset link is on its way."


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


@attrs.frozen
class AccountRules:
    """The configurable parts (``[ui]`` keys of the same names)."""

    #: seconds a session lives without being used... and at most (sliding: no)
    session_lifetime: int = 8 * 3600
    #: seconds a confirmation or reset link stays valid
    token_lifetime: int = 24 * 3600
    #: failed log-ins per user name or per address within ``login_window`` before log-ins
    #: from it are refused until the window has passed
    login_max_failures: int = 5
    login_window: int = 900
    #: whether anyone may register a local account
    registration: bool = True


@attrs.frozen
class MailMessage:
    to: str
    subject: str
    body: str


@attrs.frozen
class LoginThrottled(Exception):
    """Too many failed log-ins for a key: refuse until ``retry_after`` seconds have passed."""

    retry_after: int


class LoginFailed(Exception):
    """Wrong user name or password (deliberately not saying which)."""


class NotConfirmed(Exception):
    """The password was right but the e-mail address is not confirmed yet."""


@attrs.frozen
class Login:
    """A started session: the cookie's key (never stored) and what it stands for."""

    key: str
    record: SessionRecord


Links = Callable[[str, str], str]
"""``links(purpose, token)`` -> the absolute URL of a ``confirm`` or ``reset`` link."""


class AccountService:
    def __init__(self, store: AccountStore, rules: AccountRules | None = None,
                 *, now: Callable[[], datetime.datetime] = utcnow) -> None:
        self.store = store
        self.rules = rules or AccountRules()
        self.now = now

    # -- registration and confirmation -----------------------------------------------------------

    def register(self, username: str, email: str, password: str, links: Links,
                 display_name: str | None = None) -> MailMessage:
        """Create an unconfirmed local account; return the mail to send.

        :raises InvalidInput: a malformed field or a weak password.
        :raises Conflict: the user name is taken (user names are public: site admins are listed
            by name).
        """
        if not self.rules.registration:
            raise InvalidInput("registration is closed on this server")
        name = fields.username(username, "username", max_length=MAX_USERNAME)
        address = fields.email(email, "email", required=True) or ""
        display = fields.text(display_name, "display_name", max_length=255)
        problem = password_problem(password, username=name)
        if problem:
            raise InvalidInput(f"password: {problem}", field="password")
        if self.store.user_by_email(address) is not None:
            return MailMessage(
                address, "MirrorManager: registration attempt",
                "Someone asked to register a MirrorManager account with this address, which "
                "already has one.  If it was you, log in or reset your password.  Otherwise "
                "ignore this message.\n",
            )
        if self.store.user_by_name(name) is not None:
            raise Conflict("username: this user name is taken", field="username")
        user_id = self.store.create_user(name, address, display, hash_user_password(password))
        token = new_token()
        self.store.put_token(user_id, "confirm", token_hash(token), self._expiry())
        return MailMessage(
            address, "MirrorManager: confirm your e-mail address",
            f"Hello {name},\n\nconfirm your address to activate your MirrorManager account:\n\n"
            f"  {links('confirm', token)}\n\nThe link is valid for "
            f"{self.rules.token_lifetime // 3600} hours.\n",
        )

    def confirm(self, token: str) -> bool:
        """Confirm an address with the token of its mail; ``False`` for a bad or used token."""
        user_id = self.store.take_token("confirm", token_hash(token), self.now())
        return user_id is not None

    # -- log-in and sessions ---------------------------------------------------------------------

    def login(self, username: str, password: str, user_ip: str) -> Login:
        """Check a local user's password and start a session.

        :raises LoginThrottled: too many recent failures for this user name or address.
        :raises LoginFailed: unknown user or wrong password (the same answer for both).
        :raises NotConfirmed: right password, address not confirmed yet.
        """
        keys = [f"user:{username.strip().lower()[:64]}", f"ip:{user_ip}"]
        self._check_throttle(keys)
        user = self.store.user_by_name(username.strip()) if username.strip() else None
        ok = verify_user_password(password, user.password if user else None)
        if not ok or user is None or user.id is None:
            self.store.record_login_failure(keys, self.now())
            raise LoginFailed(LOGIN_FAILED)
        if self.store.has_token(user.id, "confirm"):
            raise NotConfirmed("Confirm your e-mail address first: follow the link in the mail "
                               "we sent (or reset your password to get a new one).")
        self.store.clear_login_failures(keys[:1])
        identity = Identity(user.user_name, self.store.user_groups(user.id), user.email_address,
                            user.display_name, "local")
        return self.start_session(identity, user_ip, user_id=user.id)

    def start_session(self, identity: Identity, user_ip: str,
                      user_id: int | None = None) -> Login:
        """A new server-side session for an identity another method verified (OIDC)."""
        key = new_token()
        now = self.now()
        record = SessionRecord(
            key_hash=token_hash(key), username=identity.username, groups=identity.groups,
            email=identity.email, display_name=identity.display_name,
            provider=identity.provider, user_id=user_id, user_ip=user_ip[:50], created=now,
            expiry=now + datetime.timedelta(seconds=self.rules.session_lifetime),
        )
        self.store.create_session(record)
        return Login(key, record)

    def session(self, key: str) -> SessionRecord | None:
        return self.store.session(token_hash(key), self.now()) if key else None

    def logout(self, key: str) -> None:
        """End the session on the server (its cookie is worthless afterwards)."""
        if key:
            self.store.delete_session(token_hash(key))

    def _check_throttle(self, keys: Sequence[str]) -> None:
        now = self.now()
        window = datetime.timedelta(seconds=self.rules.login_window)
        failures = self.store.login_failures(keys, now - window)
        for count, newest in failures.values():
            if count >= self.rules.login_max_failures:
                wait = int((newest + window - now).total_seconds()) + 1
                raise LoginThrottled(max(1, wait))

    # -- password reset --------------------------------------------------------------------------

    def request_reset(self, email: str, links: Links) -> MailMessage | None:
        """The reset mail for the account of ``email`` (``None`` when there is none: the
        caller answers :data:`RESET_SENT` either way)."""
        try:
            address = fields.email(email, "email", required=True) or ""
        except InvalidInput:
            return None
        user = self.store.user_by_email(address)
        if user is None or user.id is None:
            return None
        token = new_token()
        self.store.put_token(user.id, "reset", token_hash(token), self._expiry())
        return MailMessage(
            user.email_address, "MirrorManager: reset your password",
            f"Hello {user.user_name},\n\nset a new password for your MirrorManager account "
            f"here:\n\n  {links('reset', token)}\n\nIf you did not ask for this, ignore this "
            "message; your password stays as it is.\n",
        )

    def reset_password(self, token: str, password: str) -> bool:
        """Set a new password with a reset token (this also confirms the address and ends
        every session of the user); ``False`` for a bad, used or expired token.

        :raises InvalidInput: the new password is too weak (the token stays usable).
        """
        problem = password_problem(password)
        if problem:
            raise InvalidInput(f"password: {problem}", field="password")
        user_id = self.store.take_token("reset", token_hash(token), self.now())
        if user_id is None:
            return False
        self.store.set_password(user_id, hash_user_password(password))
        self.store.drop_tokens(user_id, "confirm")
        return True

    def _expiry(self) -> datetime.datetime:
        return self.now() + datetime.timedelta(seconds=self.rules.token_lifetime)
