"""Which channels this installation can use, and the SMS sender it plugs in.

E-mail is on when ``JICENG_EMAIL_URL`` names an SMTP server (``settings.EMAIL_ENABLED``); SMS when
``JICENG_SMS_SENDER`` names a class with ``send(phone, text)`` (``settings.SMS_SENDER``). jiceng ships no
SMS sender: each installation plugs in its own gateway (see docs/notifications.md).
"""

from __future__ import annotations

from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from jiceng.core import events


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> None: ...


def email_enabled() -> bool:
    return bool(getattr(settings, "EMAIL_ENABLED", False))


def sms_enabled() -> bool:
    return bool(getattr(settings, "SMS_SENDER", ""))


@cache
def _sender_class(path: str) -> type:
    return import_string(path)


def sms_sender() -> SmsSender:
    return _sender_class(settings.SMS_SENDER)()


def available() -> tuple[str, ...]:
    """The channels a user may choose here, in display order."""
    out = [events.INBOX]
    if email_enabled():
        out += [events.EMAIL, events.DIGEST]
    if sms_enabled():
        out.append(events.SMS)
    return tuple(out)
