"""What a management request can fail with; each carries the HTTP status a frontend answers."""

from __future__ import annotations


class ManageError(Exception):
    """A request that cannot be carried out; nothing was written.  ``str()`` is safe to show."""

    status: int = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: the form field at fault, when one is
        self.field = field


class InvalidInput(ManageError):
    """A submitted value is malformed, out of range or refused by a rule."""

    status = 422


class PermissionDenied(ManageError):
    """The actor may not do this to this object."""

    status = 403


class NotFound(ManageError):
    """No such object, or not where the request says it is (an id of another site's object)."""

    status = 404


class Conflict(ManageError):
    """The change contradicts the stored state (a duplicate URL, removing the last site admin)."""

    status = 409
