"""The accounts app's event types (``core.events``): a secretary's post changed hands (the
administrators over the branch are told, ``services._notify``), and a role was granted to a user (the
user is told, ``services._grant``)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import events
from jiceng.core.scope import Role

SECRETARY_CHANGED = "accounts.secretary_changed"
ROLE_GRANTED = "accounts.role_granted"


def _secretary_text(event: events.Event) -> events.Message:
    c = event.context
    parts = []
    if c.get("outgoing") and c.get("incoming"):
        parts.append(
            _("%(org)s书记由%(old)s变为%(new)s。")
            % {"org": c["org"], "old": c["outgoing"], "new": c["incoming"]}
        )
    elif c.get("incoming"):
        parts.append(_("%(org)s新任书记%(new)s。") % {"org": c["org"], "new": c["incoming"]})
    else:
        parts.append(
            _("%(org)s的%(old)s不再担任书记，尚无新任书记记录。")
            % {"org": c["org"], "old": c.get("outgoing", "")}
        )
    if c.get("incoming") and not c.get("incoming_has_account"):
        parts.append(_("新任书记尚无账号：可在“书记账号”中开通。"))
    return events.Message(text="".join(parts), link=reverse("accounts:users"))


def _sms_secretary(event: events.Event) -> str:
    return _secretary_text(event).text


def _role_text(event: events.Event) -> events.Message:
    c = event.context
    return events.Message(
        text=_("您在%(org)s获得了“%(role)s”角色。") % {"org": c["org"], "role": Role(c["role"]).label},
        link=reverse("home"),
    )


def register() -> None:
    events.register(
        events.EventType(
            key=SECRETARY_CHANGED,
            title=gettext_lazy("书记变动"),
            description=gettext_lazy("本范围党支部书记变动，书记角色已随职务调整（发给组织管理员）"),
            recipients=lambda e: events.role_holders(e.org_path, [Role.ORG_ADMIN]),
            inbox=_secretary_text,
            sms=_sms_secretary,
            defaults={events.INBOX: True, events.EMAIL: True, events.DIGEST: False, events.SMS: False},
            order=10,
        )
    )
    events.register(
        events.EventType(
            key=ROLE_GRANTED,
            title=gettext_lazy("获得新角色"),
            description=gettext_lazy("您的账号被授予新的角色"),
            recipients=lambda e: [],  # always named by the publisher: the account that got the role
            inbox=_role_text,
            order=20,
        )
    )
