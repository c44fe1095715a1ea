"""The store's errors, apart from the store interface (``mmcore.store``, which imports every
store protocol) so that every command can catch them without importing it."""

from __future__ import annotations


class StoreError(Exception):
    """A storage operation failed; the message says what and on which database."""


class StoreConfigError(StoreError):
    """The configured database URL cannot be used: no installed backend handles it, or it is
    malformed.  A configuration error (exit status 2), unlike other store errors."""


class StoreMissing(StoreError):
    """The database does not exist and the caller did not ask to create it."""


class SchemaOutOfDate(StoreError):
    """The database schema is missing or older than this code (run ``mirrormanager db upgrade``)."""
