"""Background delivery (django-tasks, run by ``jiceng worker``): no request waits for a mail server or
an SMS gateway."""

from __future__ import annotations

import logging

from django_tasks import task

log = logging.getLogger(__name__)


@task()
def send_emails(messages: list[list[str]]) -> int:
    """Send ``[to, subject, body]`` messages, one recipient each (nobody sees another's address)."""
    from django.conf import settings
    from django.core.mail import EmailMessage, get_connection

    mails = [
        EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to])
        for to, subject, body in messages
    ]
    with get_connection() as connection:
        return connection.send_messages(mails) or 0


@task()
def send_sms(messages: list[list[str]]) -> int:
    """Send ``[phone, text]`` messages through the installation's sender; one failure does not stop the rest."""
    from .channels import sms_sender

    sender = sms_sender()
    sent = 0
    for phone, text in messages:
        try:
            sender.send(phone, text)
            sent += 1
        except Exception:  # noqa: BLE001 (a gateway's error for one number)
            log.exception("SMS to a recipient failed")
    return sent
