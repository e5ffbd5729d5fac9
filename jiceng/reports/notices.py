"""New compliance findings, told to the secretary of the branch they are about (``core.events``).

After a background refresh stores a run (``tasks.refresh_compliance``), and once a day for the runs
stored since (``jiceng notifications daily``: runs evaluated on a request are announced there), each
finding of a run of the current or a just-ended period is published with its identity as the dedupe key (rule, organization, period,
member, subject): a finding is announced once, the first time a run holds it, however often the run
is stored again. The findings are read from the stored run; nothing is evaluated here.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import compliance, events
from jiceng.core.scope import Role

from .models import ComplianceRun, StoredFinding

FINDING_NEW = "reports.finding_new"
RECENT = dt.timedelta(days=45)


def _text(event: events.Event) -> events.Message:
    c = event.context
    try:
        title = str(compliance.BY_CODE[c["rule"]].title)
        message = compliance.render_message(c["rule"], c.get("facts") or {})
    except (KeyError, TypeError, ValueError):  # a rule retired since: say what is known
        title, message = c["rule"], ""
    text = _("%(org)s：%(title)s。%(message)s") % {"org": c["org"], "title": title, "message": message}
    link = reverse("reports:health", args=[c["code"]]) + f"?period={c['period']}&rule={c['rule']}"
    return events.Message(text=text, link=link)


def register() -> None:
    events.register(
        events.EventType(
            key=FINDING_NEW,
            title=gettext_lazy("本支部新的合规问题"),
            description=gettext_lazy("组织生活、发展党员等规则检查发现本支部的新问题（发给支部书记）"),
            recipients=lambda e: events.role_holders(e.org_path, [Role.SECRETARY], exact=True),
            inbox=_text,
            defaults={events.INBOX: True, events.EMAIL: False, events.DIGEST: True, events.SMS: False},
            order=40,
        )
    )


def is_current(period_label: str, today: dt.date) -> bool:
    """Findings of a period that ended more than ``RECENT`` ago are old news: someone looking at last
    year's health check does not make them new to the secretary."""
    try:
        return compliance.parse_period(period_label).end >= today - RECENT
    except ValueError:
        return False


def announce_run(run: ComplianceRun, *, today: dt.date | None = None) -> int:
    """Publish each finding of ``run`` (deduplicated by the subscriber) when its period is current or
    just ended; returns how many were published."""
    if not is_current(run.period, today or timezone.localdate()):
        return 0
    items = []
    rows = StoredFinding.objects.filter(run=run).values_list(
        "org_path", "org_code", "org_name", "rule", "period", "member", "subject", "facts"
    )
    for path, code, name, rule, period, member, subject, facts in rows.iterator(chunk_size=2000):
        items.append(
            {
                "org_path": path,
                "context": {"org": name, "code": code, "rule": rule, "period": period, "facts": facts},
                "dedupe_key": f"{code}:{rule}:{period}:{member or ''}:{subject}",
            }
        )
    events.publish_many(FINDING_NEW, items)
    return len(items)


def announce_recent(*, since: dt.timedelta = dt.timedelta(days=2)) -> int:
    """Announce the runs stored within ``since`` (the daily job)."""
    total = 0
    for run in ComplianceRun.objects.filter(created_at__gte=timezone.now() - since).order_by("id"):
        total += announce_run(run)
    return total
