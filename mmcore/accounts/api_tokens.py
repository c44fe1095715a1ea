"""API tokens: named, scoped, expiring credentials a user creates for scripts
(``Authorization: Bearer mmt_...``).

* The plaintext is shown once, at creation; the database keeps its SHA-256
  (:func:`mmcore.accounts.tokens.token_hash`), so a leaked table authenticates nobody.
* A scope limits what the token may do, below what its user may do:

  - ``read``: reads only, with the user's site-admin rights (never MirrorManager admin rights);
  - ``write``: reads and writes on the sites the user administers (never admin rights);
  - ``admin``: everything the user may do; only a MirrorManager admin can create one, and it
    acts with admin rights only while its user still is one.

* A revoked or expired token authenticates nobody; ``last_used`` is recorded (at most once a
  minute per token, so reads do not turn into writes).

:class:`ApiTokenService` methods are synchronous: call them through :func:`mmcore.db.run_db`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection
from typing import Protocol, runtime_checkable

import attrs

from mmcore.accounts.identity import Identity
from mmcore.accounts.tokens import new_token, token_hash
from mmcore.manage import fields
from mmcore.manage.errors import Conflict, InvalidInput, NotFound
from mmcore.manage.rules import Actor, require_admin, require_login

#: what every token starts with (so secret scanners and people recognise one)
TOKEN_PREFIX = "mmt_"
SCOPES = ("read", "write", "admin")
#: scopes whose requests may change things
WRITE_SCOPES = frozenset({"write", "admin"})
MAX_NAME = 64
#: live tokens one user may hold
MAX_TOKENS_PER_USER = 50
#: how stale ``last_used`` may get before a request updates it
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


@attrs.frozen(kw_only=True)
class ApiToken:
    """A stored token (never its plaintext)."""

    id: int
    username: str
    name: str
    scope: str
    #: the token's first characters, to tell tokens apart in lists (``mmt_AbCd``)
    prefix: str
    #: groups of the identity that created it (used when the user has no local account)
    groups: tuple[str, ...] = ()
    #: ``local``, ``oidc``, ... (the creating identity's provider)
    provider: str = "local"
    created: datetime.datetime
    expiry: datetime.datetime
    last_used: datetime.datetime | None = None
    revoked: datetime.datetime | None = None

    def live(self, now: datetime.datetime) -> bool:
        return self.revoked is None and self.expiry > now


@attrs.frozen
class NewApiToken:
    """A token just created: the plaintext (shown once) and its stored record."""

    plaintext: str
    token: ApiToken


@attrs.frozen
class TokenGrant:
    """What an authenticated token allows: who, and which scope."""

    identity: Identity
    token: ApiToken

    @property
    def scope(self) -> str:
        return self.token.scope

    @property
    def may_write(self) -> bool:
        return self.token.scope in WRITE_SCOPES

    def limit(self, actor: Actor) -> Actor:
        """The user's actor, without admin rights unless the scope is ``admin``."""
        if self.token.scope == "admin":
            return actor
        return attrs.evolve(actor, is_admin=False)


@runtime_checkable
class ApiTokenStore(Protocol):
    """Storage of API tokens (``mm_api_token``)."""

    def create_api_token(self, username: str, name: str, scope: str, token_hash: str,
                         prefix: str, groups: tuple[str, ...], provider: str,
                         created: datetime.datetime, expiry: datetime.datetime) -> int:
        """Insert a token; return its id.

        :raises mmcore.manage.errors.Conflict: the user already has a live token of that name.
        """

    def api_tokens_of(self, username: str) -> tuple[ApiToken, ...]:
        """The user's tokens (revoked ones too), newest first."""

    def api_token_by_hash(self, token_hash: str) -> ApiToken | None:
        """The token whose plaintext hashes to ``token_hash`` (revoked or expired too)."""

    def revoke_api_token(self, username: str, token_id: int, at: datetime.datetime) -> bool:
        """Revoke one of the user's live tokens; ``False`` when it has no such live token."""

    def touch_api_token(self, token_id: int, at: datetime.datetime) -> None:
        """Record that the token was used at ``at``."""


class ApiTokenService:
    """Creating, listing, revoking and checking API tokens."""

    def __init__(self, store: ApiTokenStore, *, max_days: int = 365,
                 local_groups: Callable[[str], tuple[str, ...] | None] | None = None,
                 admin_groups: Collection[str] = ()) -> None:
        self.store = store
        self.max_days = max_days
        #: a local user's current groups (``None``: no such local user any more)
        self.local_groups = local_groups
        self.admin_groups = tuple(admin_groups)

    def create(self, identity: Identity, actor: Actor, form: dict[str, object], *,
               now: datetime.datetime | None = None) -> NewApiToken:
        """A token for the logged-in ``identity``, from ``name``, ``scope``, ``days``."""
        require_login(actor)
        now = now or utcnow()
        name = fields.text(form.get("name"), "name", max_length=MAX_NAME, required=True)
        scope = str(form.get("scope") or "read")
        if scope not in SCOPES:
            raise InvalidInput(f"scope: expected one of {', '.join(SCOPES)}", field="scope")
        if scope == "admin":
            require_admin(actor)
        days = fields.integer(form.get("days") or "90", "days", minimum=1,
                              maximum=self.max_days, required=True)
        assert name is not None and days is not None
        live = [t for t in self.store.api_tokens_of(identity.username) if t.live(now)]
        if len(live) >= MAX_TOKENS_PER_USER:
            raise Conflict(f"at most {MAX_TOKENS_PER_USER} live tokens per user: revoke one "
                           "first")
        if any(t.name == name for t in live):
            raise Conflict(f"name: you already have a token named {name!r}", field="name")
        plaintext = TOKEN_PREFIX + new_token()
        prefix = plaintext[:len(TOKEN_PREFIX) + 4]
        expiry = now + datetime.timedelta(days=days)
        token_id = self.store.create_api_token(
            identity.username, name, scope, token_hash(plaintext), prefix, identity.groups,
            identity.provider, now, expiry)
        token = ApiToken(id=token_id, username=identity.username, name=name, scope=scope,
                         prefix=prefix, groups=identity.groups, provider=identity.provider,
                         created=now, expiry=expiry)
        return NewApiToken(plaintext, token)

    def tokens(self, actor: Actor) -> tuple[ApiToken, ...]:
        require_login(actor)
        assert actor.username is not None
        return self.store.api_tokens_of(actor.username)

    def revoke(self, actor: Actor, token_id: int, *, now: datetime.datetime | None = None) -> None:
        require_login(actor)
        assert actor.username is not None
        if not self.store.revoke_api_token(actor.username, token_id, now or utcnow()):
            raise NotFound(f"you have no live token {token_id}")

    def authenticate(self, plaintext: str, *,
                     now: datetime.datetime | None = None) -> TokenGrant | None:
        """The grant of a live token; ``None`` for an unknown, revoked or expired one, or one
        whose local user is gone."""
        now = now or utcnow()
        if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
            return None
        token = self.store.api_token_by_hash(token_hash(plaintext))
        if token is None or not token.live(now):
            return None
        groups = token.groups
        if token.provider == "local" and self.local_groups is not None:
            current = self.local_groups(token.username)
            if current is None:
                return None
            groups = current
        if token.last_used is None or now - token.last_used >= LAST_USED_RESOLUTION:
            self.store.touch_api_token(token.id, now)
            token = attrs.evolve(token, last_used=now)
        return TokenGrant(Identity(token.username, groups, provider="token"), token)
