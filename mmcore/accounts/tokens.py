"""Random tokens (sessions, e-mail confirmation, password reset) and their stored hashes.

A token goes to the user (a cookie, a link in a mail); the database keeps only its SHA-256, so
a leaked table opens no session and resets no password.
"""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database stores for ``token`` (hex SHA-256, 64 characters)."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
