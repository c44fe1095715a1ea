"""The JSON API under ``/api/`` (MirrorManager2's ``/api/mirroradmins`` and
``/api/repositories``, and this project's ``/api/v1/``), its API tokens and its OpenAPI
document.  See docs/api.md."""
