"""A reminder (督办) told to the late organization's secretary and administrators (``core.events``).

``services.remind`` publishes one ``tasks.reminded`` event per organization reminded; the notifications
app delivers it after the write commits to the users holding the 支部书记 or 组织管理员 role **on that
organization itself** (not the committees above, who sent it), through the channels each chose (the
inbox by default).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import events
from jiceng.core.compliance import fmt_day
from jiceng.core.scope import Role

from .services import REMINDED


def _text(event: events.Event) -> events.Message:
    c = event.context
    text = _("%(sender)s督办：任务“%(task)s”已过完成期限（%(day)s），请尽快办理") % {
        "sender": c["sender"],
        "task": c["task"],
        "day": fmt_day(c["deadline"]),
    }
    if c.get("note"):
        text += _("。督办意见：%(note)s") % {"note": c["note"]}
    return events.Message(text=text, link=reverse("tasks:assignment", kwargs={"pk": c["assignment"]}))


def register() -> None:
    events.register(
        events.EventType(
            key=REMINDED,
            title=gettext_lazy("任务督办"),
            description=gettext_lazy("上级对本组织逾期未完成的任务发出督办（发给本组织书记和管理员）"),
            recipients=lambda e: events.role_holders(
                e.org_path, [Role.SECRETARY, Role.ORG_ADMIN], exact=True
            ),
            inbox=_text,
            defaults={events.INBOX: True, events.EMAIL: True, events.DIGEST: False, events.SMS: False},
            order=40,
        )
    )
