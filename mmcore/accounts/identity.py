"""What an authentication method hands the rest of the system."""

from __future__ import annotations

import attrs


@attrs.frozen
class Identity:
    """A user as an authentication method vouches for them."""

    username: str
    #: the groups the method asserts (local ``mm_group`` memberships, an OIDC groups claim)
    groups: tuple[str, ...] = ()
    email: str | None = None
    display_name: str | None = None
    #: ``local``, ``oidc``, or a plugin's name (``token``)
    provider: str = "local"
