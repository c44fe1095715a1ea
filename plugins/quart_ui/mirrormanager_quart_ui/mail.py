"""The built-in ``mm_ui_send_mail``: SMTP when ``[ui] smtp_server`` is set, else the log."""

from __future__ import annotations

import email.message
import logging
import smtplib

from mmcore.accounts.service import MailMessage
from mmcore.logs import kv

from mirrormanager_quart_ui.config import UiConfig

log = logging.getLogger("mirrormanager_quart_ui.mail")

SMTP_TIMEOUT = 30


def deliver(message: MailMessage, settings: UiConfig) -> bool:
    """Send ``message`` (blocking; runs in a worker thread)."""
    if not settings.smtp_server:
        log.info(kv(event="mail_not_sent", reason="no smtp_server configured", to=message.to,
                    subject=message.subject) + "\n" + message.body)
        return True
    mail = email.message.EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail.set_content(message.body)
    host, _, port = settings.smtp_server.partition(":")
    with smtplib.SMTP(host, int(port or 25), timeout=SMTP_TIMEOUT) as smtp:
        if settings.smtp_starttls and smtp.has_extn("starttls"):
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(mail)
    log.info(kv(event="mail_sent", to=message.to, subject=message.subject))
    return True
