"""The rule of tasks as a pure function: ``task.overdue`` (no database; property-tested).

RULES.md has no entry for tasks: the deadline is the one the issuing committee set, and escalating an
overdue task to the next level after a grace period is this system's supervision practice (督办), not a
central text, hence confidence U and the grace period a parameter with an effective date.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.compliance import Finding, OrgRef, fmt_day, make_finding
from jiceng.core.rulebook import RuleParams

CODE = "task.overdue"


def overdue(
    *,
    org: OrgRef,
    parent: OrgRef | None,
    assignment_id: int,
    title: str,
    deadline: dt.date,
    answered_on: dt.date | None,
    day: dt.date,
    params: RuleParams,
) -> list[Finding]:
    """As of ``day``: the task given to ``org`` is past its deadline and not answered (or passed on).

    The deadline itself is still in time: a finding on ``org`` from the day after. Once more than
    ``grace_days`` days have passed since the deadline, the next level up (``parent``) gets a finding
    too (escalation): on ``deadline + grace_days`` not yet, the day after yes.
    """
    if not params.enabled:
        return []
    if answered_on is not None and answered_on <= day:
        return []
    if day <= deadline:
        return []
    late_days = (day - deadline).days
    facts = {"title": title, "deadline": deadline, "day": day, "days": late_days, "org_name": org.name}
    found = [
        make_finding(params, org, day.isoformat(), facts, subject=f"task:{assignment_id}", due_on=deadline)
    ]
    grace = int(params["grace_days"])
    if parent is not None and late_days > grace:
        found.append(
            make_finding(
                params,
                parent,
                day.isoformat(),
                {**facts, "escalated": True},
                subject=f"task:{assignment_id}:escalated",
                due_on=deadline + dt.timedelta(days=grace),
            )
        )
    return found


def message(f: dict) -> str:
    if f.get("escalated"):
        return _(
            "下级组织%(org)s承办的任务“%(title)s”已于%(deadline)s到期，逾期%(days)s天仍未完成，请督办"
        ) % {
            "org": f["org_name"],
            "title": f["title"],
            "deadline": fmt_day(f["deadline"]),
            "days": f["days"],
        }
    return _("任务“%(title)s”的完成期限是%(deadline)s，截至%(day)s已逾期%(days)s天未完成") % {
        "title": f["title"],
        "deadline": fmt_day(f["deadline"]),
        "day": fmt_day(f["day"]),
        "days": f["days"],
    }


EXPLANATION = gettext_lazy(
    "上级党组织下达的任务应在其规定的期限内完成（或按要求转办）。期限当天完成仍属按时；逾期未完成的，从次日起列为承办组织的问题；"
    "逾期超过宽限天数仍未完成的，同时列为上一级组织的督办事项。宽限天数可由系统管理员按生效日期调整。"
)
