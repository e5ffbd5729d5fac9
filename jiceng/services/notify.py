"""The resident's SMS on a change of state of their request (issue 14 §5), through the installation's
SMS sender (``JICENG_SMS_SENDER``, see ``jiceng.notifications.channels``; none is shipped).

Sent only when a sender is configured, the resident left a phone number, and they consented at intake.
The message is queued on commit with the request's id only: the worker decrypts the phone itself, so
the number never sits in the task table in clear. The text names the tracking code, never the request's
content (an SMS can be read by whoever holds the phone).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.notifications.channels import sms_enabled

from .models import ServiceRequest, StateType

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
    text = texts.get(to_type)
    return text % {"code": code} if text else ""


def state_changed(req: ServiceRequest, to_type: str, *, from_type: str = "") -> None:
    """After a state change in the current transaction: queue the SMS on commit, if it is wanted."""
    if to_type == StateType.IN_PROGRESS and from_type == StateType.IN_PROGRESS:
        return  # a progress note on work already in progress is no news worth a message
    if not (sms_enabled() and req.sms_consent and req.phone_cipher):
        return
    text = sms_text(req, to_type)
    if not text:
        return
    from .tasks import sms_to_resident

    pk = req.pk
    transaction.on_commit(lambda: sms_to_resident.enqueue(pk, text))
