"""Local users' passwords: argon2id hashes (argon2-cffi), never stored in clear.

(Site passwords, which report_mirror sends, are hashed by :mod:`mmcore.passwords`.)
"""

from __future__ import annotations

import functools

#: the shortest password accepted at registration and reset
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024


@functools.cache
def _hasher():  # imported on first use: commands that never check a password stay light
    from argon2 import PasswordHasher

    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    return _hasher().hash("not a password of anyone")


def hash_user_password(password: str) -> str:
    return _hasher().hash(password)


def verify_user_password(password: str, stored: str | None) -> bool:
    """Check ``password``; with no stored hash, a dummy one is checked so that unknown users
    take as long as known ones."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher().check_needs_rehash(stored)


def password_problem(password: str, *, username: str = "") -> str | None:
    """Why a new password is refused, or ``None``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password may have at most {MAX_PASSWORD_LENGTH} characters"
    if username and password.lower() == username.lower():
        return "the password must differ from the user name"
    return None
