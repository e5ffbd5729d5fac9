"""``partner.member_not_reported`` as a pure function (no database; property-tested).

RULES.md §10: no central numeric rule was found; local schemes ask members employed elsewhere to
report to their residential community (在职党员到社区报到). Confidence U, shipped switched off, every
number a parameter with an effective date: ``within_days`` after a member arrives in their branch
(joined the Party there, or moved in), the categories of members it applies to, and the unit kinds of
branches whose members already serve where they live (community and village branches).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.compliance import Finding, OrgRef, fmt_day, make_finding
from jiceng.core.rulebook import RuleParams

CODE = "partner.member_not_reported"


def member_not_reported(
    *,
    org: OrgRef,
    unit_kind: str,
    member_id: int,
    name: str,
    category: str,
    arrived_on: dt.date,
    reported: bool,
    day: dt.date,
    params: RuleParams,
) -> Finding | None:
    """As of ``day``: a member of ``org`` who arrived on ``arrived_on`` has no registration in force
    (reported, pending or accepted) more than ``within_days`` days later."""
    if not params.enabled or reported:
        return None
    if category not in params["categories"] or unit_kind in params["exempt_unit_kinds"]:
        return None
    due = arrived_on + dt.timedelta(days=int(params["within_days"]))
    if day <= due:
        return None
    facts = {"name": name, "arrived_on": arrived_on, "due": due, "days": (day - due).days}
    return make_finding(params, org, day.isoformat(), facts, member=member_id, member_name=name, due_on=due)


def message(f: dict) -> str:
    return _("党员%(name)s应于%(due)s前向居住地社区报到，截至目前逾期%(days)s天仍未报到") % {
        "name": f["name"],
        "due": fmt_day(f["due"]),
        "days": f["days"],
    }


EXPLANATION = gettext_lazy(
    "在职党员应在到本支部（入党或转入）后的规定天数内向居住地社区党组织报到（双报到，地方做法，非中央文件条款）。"
    "已登记报到（待社区确认或已接收）的不计；社区、农村党支部的党员和不属于所列人员类别的党员不适用。"
    "本规则默认停用，由系统管理员按生效日期启用并设定天数和适用范围。"
)
