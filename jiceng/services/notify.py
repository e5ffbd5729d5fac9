"""The resident's SMS on a change of state of their request (issue 14 §5), through the installation's
SMS sender (``JICENG_SMS_SENDER``, see ``jiceng.notifications.channels``; none is shipped).

Sent only when a sender is configured, the resident left a phone number, and they consented at intake.
Each message is recorded (``SmsMessage``: its text, queued / sent / failed, attempts; never the phone)
and queued on commit with that record's id only: the worker decrypts the phone from the request itself,
so the number never sits in the task table in clear. The text names the tracking code, never the
request's content (an SMS can be read by whoever holds the phone). Where residents may answer by SMS
(``SMS_INBOUND_TOKEN`` set, ``services/sms.py``), the answer's message says how to reply.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.notifications.channels import sms_enabled

from .models import ServiceRequest, SmsDirection, SmsMessage, SmsStatus, StateType

log = logging.getLogger(__name__)


def sms_text(req: ServiceRequest, to_type: str) -> str:
    """The message for a change into ``to_type``; empty when none is sent for it."""
    code = req.code
    texts = {
        StateType.ACCEPTED: _("您的诉求（受理编号%(code)s）已受理，正在安排办理。"),
        StateType.IN_PROGRESS: _("您的诉求（受理编号%(code)s）正在办理中。"),
        StateType.ANSWERED: _(
            "您的诉求（受理编号%(code)s）已办结答复。请打开提交时保存的查询链接，告诉我们是否解决；"
            "7天内未评价的按“居民未回复”关闭。"
        ),
        StateType.CLOSED: _("您的诉求（受理编号%(code)s）已关闭。"),
        StateType.REFERRED: _("您的诉求（受理编号%(code)s）不属本社区受理范围，说明见查询链接。"),
        StateType.MERGED: _("您的诉求（受理编号%(code)s）与其他相同诉求合并办理。"),
    }
    if to_type == StateType.ANSWERED and replies_enabled():
        texts[to_type] = _(
            "您的诉求（受理编号%(code)s）已办结答复。是否解决请回复：1已解决 2部分解决 3未解决，"
            "可加满意度1-5（如“1 5”），也可打开查询链接评价；7天内未评价的按“居民未回复”关闭。"
        )
    text = texts.get(to_type)
    return text % {"code": code} if text else ""


def replies_enabled() -> bool:
    """Whether residents may answer by SMS here (the gateway's callback has a token to present)."""
    return bool(getattr(settings, "SMS_INBOUND_TOKEN", "")) and sms_enabled()


def queue(req: ServiceRequest, text: str, *, purpose: str) -> SmsMessage:
    """Record a message to the resident of ``req`` and send it in the background once committed."""
    from .tasks import deliver_sms

    message = SmsMessage.objects.create(
        request=req, direction=SmsDirection.OUT, purpose=purpose, text=text[:500], status=SmsStatus.QUEUED
    )
    pk = message.pk
    transaction.on_commit(lambda: deliver_sms.enqueue(pk))
    return message


def state_changed(req: ServiceRequest, to_type: str, *, from_type: str = "") -> None:
    """After a state change in the current transaction: queue the SMS on commit, if it is wanted."""
    if to_type == StateType.IN_PROGRESS and from_type == StateType.IN_PROGRESS:
        return  # a progress note on work already in progress is no news worth a message
    if not (sms_enabled() and req.sms_consent and req.phone_cipher):
        return
    text = sms_text(req, to_type)
    if not text:
        return
    queue(req, text, purpose=str(to_type))
