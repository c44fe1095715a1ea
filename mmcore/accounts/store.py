"""What accounts need from storage: :class:`AccountStore`.

Tables: MirrorManager2's ``mm_user``, ``mm_group`` and ``mm_user_group`` for local accounts and
their groups; this project's ``mm_session`` (server-side sessions of every provider, keyed by the
hash of the cookie's session key), ``mm_user_token`` (hashed one-time e-mail confirmation and
password reset tokens) and ``mm_login_failure`` (the throttle's memory).  Times are naive UTC.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import attrs

from mmcore.model import User


@attrs.frozen(kw_only=True)
class SessionRecord:
    """A server-side session."""

    key_hash: str
    username: str
    groups: tuple[str, ...] = ()
    email: str | None = None
    display_name: str | None = None
    provider: str = "local"
    #: the local account (``None`` for an OIDC identity)
    user_id: int | None = None
    user_ip: str = ""
    created: datetime.datetime
    expiry: datetime.datetime


@runtime_checkable
class AccountStore(Protocol):
    # -- local users ---------------------------------------------------------------------------

    def create_user(self, user_name: str, email: str, display_name: str | None,
                    password_hash: str) -> int:
        """Insert a local user; return its id.

        :raises mmcore.manage.errors.Conflict: the user name or the e-mail address is taken.
        """

    def user_by_name(self, user_name: str) -> User | None: ...

    def user_by_email(self, email: str) -> User | None:
        """The user with this address (compared case-insensitively)."""

    def user_groups(self, user_id: int) -> tuple[str, ...]:
        """Group names of a local user, sorted."""

    def set_password(self, user_id: int, password_hash: str) -> None:
        """Replace the password hash and end every session of the user."""

    # -- one-time tokens -----------------------------------------------------------------------

    def put_token(self, user_id: int, purpose: str, token_hash: str,
                  expiry: datetime.datetime) -> None:
        """Store a token of ``purpose`` (``confirm``, ``reset``), replacing the user's
        previous one of that purpose."""

    def take_token(self, purpose: str, token_hash: str, now: datetime.datetime) -> int | None:
        """Consume a token: delete it and return its user id if it existed and had not
        expired (expired tokens are deleted too)."""

    def has_token(self, user_id: int, purpose: str) -> bool:
        """Whether the user has a token of ``purpose`` (a ``confirm`` token: the e-mail
        address is not confirmed yet)."""

    def drop_tokens(self, user_id: int, purpose: str) -> None: ...

    # -- sessions --------------------------------------------------------------------------------

    def create_session(self, record: SessionRecord) -> None: ...

    def session(self, key_hash: str, now: datetime.datetime) -> SessionRecord | None:
        """The live session of this key hash (``None`` when absent or expired)."""

    def delete_session(self, key_hash: str) -> None: ...

    def delete_expired_sessions(self, now: datetime.datetime) -> int: ...

    # -- log-in throttling ---------------------------------------------------------------------

    def record_login_failure(self, keys: Sequence[str], at: datetime.datetime) -> None:
        """Remember one failed log-in under each key (``user:NAME``, ``ip:ADDRESS``)."""

    def login_failures(self, keys: Sequence[str],
                       since: datetime.datetime) -> dict[str, tuple[int, datetime.datetime]]:
        """Per key with failures since ``since``: how many, and the newest one's time."""

    def clear_login_failures(self, keys: Sequence[str]) -> None: ...
