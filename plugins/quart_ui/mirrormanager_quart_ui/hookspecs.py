"""The web UI's hooks: how a plugin adds pages, navigation entries, host-page panels,
request authentication and mail delivery.

Added to the plugin manager through ``mm_addhooks`` (the UI plugin calls
``plugin_manager.add_hookspecs(this module)``), like pytest's ``pytest_addhooks``.  The built-in
pages are registered through these same hooks (``mirrormanager_quart_ui.builtin``).

Every hook receives, by keyword (an implementation may accept any subset):

* ``runtime`` -- the process's :class:`mmcore.runtime.Runtime` (configuration, plugin manager,
  ``announce``);
* ``ui`` -- the :class:`mirrormanager_quart_ui.context.UiContext` of the app being built: the
  store, ``ui.manage`` (:class:`mmcore.manage.service.ManageService`, the permission rules),
  ``ui.accounts`` (:class:`mmcore.accounts.service.AccountService`), ``ui.settings``
  (:class:`mirrormanager_quart_ui.config.UiConfig`), ``await ui.db(fn, ...)`` to run a blocking
  store call in a worker thread and ``ui.announce(event)``.

In a request, ``mirrormanager_quart_ui.context.current_actor()`` is the
:class:`mmcore.manage.rules.Actor` (anonymous when nobody is logged in) and
``current_identity()`` its :class:`mmcore.accounts.identity.Identity`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mmcore.hookspecs import hookspec

if TYPE_CHECKING:
    from mmcore.accounts.service import MailMessage

    from mirrormanager_quart_ui.context import UiContext
    from mirrormanager_quart_ui.extension import Authenticator, HostPanel, NavEntry, UiRoutes


@hookspec
def mm_ui_routes(runtime: Any, ui: UiContext) -> list[UiRoutes]:
    """Contribute pages and endpoints: Quart blueprints (datasette's ``register_routes``).

    Called once when the app is built.

    :param runtime: the process's runtime.
    :param ui: the app's context (store, services, settings).
    :return: a list of :class:`mirrormanager_quart_ui.extension.UiRoutes`.  Every
        state-changing request (POST, PUT, PATCH, DELETE) of a blueprint must carry the
        session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``) unless the
        blueprint is ``csrf_exempt`` or an authenticator identified the request.  Blueprint
        names must be unique across plugins.
    """


@hookspec
def mm_ui_navigation(runtime: Any, ui: UiContext) -> list[NavEntry]:
    """Contribute entries of the navigation bar.

    Called once when the app is built; each entry says who sees it (``audience``).

    :return: a list of :class:`mirrormanager_quart_ui.extension.NavEntry`.
    """


@hookspec
def mm_ui_host_panels(runtime: Any, ui: UiContext) -> list[HostPanel]:
    """Contribute sections of the host page (shown to the host's site admins and to admins).

    Called once when the app is built; each panel's ``render(host, actor)`` is awaited for
    every host page.

    :return: a list of :class:`mirrormanager_quart_ui.extension.HostPanel`.
    """


@hookspec
def mm_ui_authenticators(runtime: Any, ui: UiContext) -> list[Authenticator]:
    """Contribute request authenticators (the JSON API's ``Authorization: Bearer`` tokens).

    Called once when the app is built.  For each request the authenticators are tried in
    order before the session cookie; the first identity returned wins.

    :return: a list of :class:`mirrormanager_quart_ui.extension.Authenticator`.
    """


@hookspec(firstresult=True)
def mm_ui_send_mail(message: MailMessage, runtime: Any, ui: UiContext) -> bool | None:
    """Deliver a mail (registration confirmation, password reset).

    Called in a worker thread, so it may block.  The built-in implementation sends through
    ``[ui] smtp_server`` when one is set and otherwise writes the whole message to the log
    (logger ``mirrormanager_quart_ui.mail``).

    :param message: recipient, subject and body (:class:`mmcore.accounts.service.MailMessage`).
    :return: ``True`` once delivered (or handed over); ``None`` to let the next implementation
        try.  **firstresult**: the first implementation that returns ``True`` stops the call.
    """
