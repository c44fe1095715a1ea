"""MirrorManager's operations commands (see ``docs/operations.md``)."""
