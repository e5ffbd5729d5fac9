"""Development steps coming due, told to the branch's secretary (``core.events``).

A daily job (``jiceng notifications daily``) calls ``announce_due_steps``: every open file's deadlines
of RULES.md §4 (the talk within a month of the application, the half-yearly review of an activist, the
higher committee's approval) that fall within ``AHEAD`` days, or have passed, are published once each:
the dedupe key is the rule, the file and the deadline, so the same due step is announced once, and a
new deadline (a review recorded, a new half-year begins) is a new announcement.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import events
from jiceng.core.compliance import fmt_day
from jiceng.core.rulebook import RuleBook
from jiceng.core.scope import Role

from .models import StepKind
from .selectors import _ref, lateness, timelines_in

STEP_DUE = "development.step_due"
AHEAD = dt.timedelta(days=14)


def _text(event: events.Event) -> events.Message:
    c = event.context
    due = fmt_day(c["due_on"])
    if c["rule"] == "dev.talk_within_month":
        text = _("%(name)s的入党申请应于%(due)s前派人谈话") % {"name": c["name"], "due": due}
    elif c["rule"] == "dev.review_half_yearly":
        text = _("入党积极分子%(name)s应于%(due)s前进行考察") % {"name": c["name"], "due": due}
    else:
        what = _("接收预备党员") if c.get("what") == str(StepKind.ADMISSION) else _("预备党员转正")
        text = _("%(name)s的%(what)s应于%(due)s前报上级党委审批") % {
            "name": c["name"],
            "what": what,
            "due": due,
        }
    if c.get("overdue"):
        text = _("已逾期：") + text
    return events.Message(text=text, link=reverse("development:detail", args=[c["file"]]))


def register() -> None:
    events.register(
        events.EventType(
            key=STEP_DUE,
            title=gettext_lazy("发展党员步骤到期"),
            description=gettext_lazy("本支部发展党员的谈话、考察、审批期限将到或已过（发给支部书记）"),
            recipients=lambda e: events.role_holders(e.org_path, [Role.SECRETARY], exact=True),
            inbox=_text,
            defaults={events.INBOX: True, events.EMAIL: True, events.DIGEST: False, events.SMS: False},
            order=30,
        )
    )


def due_steps(day: dt.date) -> list[dict]:
    """The deadlines of open files falling before ``day + AHEAD`` (passed ones included), as events."""
    book = RuleBook()
    horizon = day + AHEAD
    items = []
    for development, timeline in timelines_in("", open_only=True):
        late = lateness(_ref(development), development.pk, development.name, timeline, horizon, book)
        for f in late:
            if f.due_on is None:
                continue
            items.append(
                {
                    "org_path": development.org_path,
                    "org_id": development.org_id,
                    "context": {
                        "rule": f.rule,
                        "file": development.pk,
                        "name": development.name,
                        "due_on": f.due_on.isoformat(),
                        "what": str(f.facts.get("what", "")),
                        "overdue": f.due_on < day,
                    },
                    "dedupe_key": f"{f.rule}:{f.subject}:{f.due_on.isoformat()}",
                }
            )
    return items


def announce_due_steps(day: dt.date | None = None) -> int:
    """Publish the due steps as of ``day`` (today); returns how many were published (before dedupe)."""
    items = due_steps(day or timezone.localdate())
    events.publish_many(STEP_DUE, items)
    return len(items)
