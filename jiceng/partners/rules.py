"""``agreement.project_overdue`` as a pure function (no database; property-tested).

A project of a 共建协议 (项目清单) has a deadline the community and the unit agreed. No central rule
sets one (U: local practice of 党建共建 schemes), so the rule ships switched off; its one parameter,
``grace_days`` (default 0), is a number with an effective date like every other. As of a day, a project
not done by that day (and not cancelled) whose deadline plus the grace days has passed is a finding on
the organization that signed the agreement.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.compliance import Finding, OrgRef, fmt_day, make_finding
from jiceng.core.rulebook import RuleParams

CODE = "agreement.project_overdue"
DEFAULTS = {"grace_days": 0}


def is_overdue(
    *, deadline: dt.date, status: str, done_on: dt.date | None, day: dt.date, grace_days: int
) -> bool:
    """Overdue on ``day``: not cancelled, not done by ``day``, and ``day`` after deadline + grace."""
    if status == "cancelled":
        return False
    if done_on is not None and done_on <= day:
        return False
    return day > deadline + dt.timedelta(days=int(grace_days))


def project_overdue(
    *,
    org: OrgRef,
    project_id: int,
    title: str,
    unit: str,
    deadline: dt.date,
    status: str,
    done_on: dt.date | None,
    day: dt.date,
    params: RuleParams,
) -> Finding | None:
    if not params.enabled:
        return None
    grace = int(params["grace_days"])
    if not is_overdue(deadline=deadline, status=status, done_on=done_on, day=day, grace_days=grace):
        return None
    due = deadline + dt.timedelta(days=grace)
    facts = {"title": title, "unit": unit, "deadline": deadline, "days": (day - due).days}
    return make_finding(params, org, day.isoformat(), facts, subject=f"project:{project_id}", due_on=due)


def message(f: dict) -> str:
    return _("与%(unit)s共建的项目“%(title)s”期限为%(deadline)s，截至目前逾期%(days)s天仍未完成") % {
        "unit": f["unit"],
        "title": f["title"],
        "deadline": fmt_day(f["deadline"]),
        "days": f["days"],
    }


EXPLANATION = gettext_lazy(
    "共建协议项目清单中的项目应在约定期限内完成（地方做法，非中央文件条款）。"
    "在期限加宽限天数之后仍未完成（也未取消）的项目，记在签订协议的党组织名下。"
    "本规则默认停用，由系统管理员按生效日期启用并设定宽限天数。"
)
