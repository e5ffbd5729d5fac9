"""Member rules of RULES.md §3 judged by the compliance engine, as pure functions.

``member.probation_overdue`` and ``member.no_life_6_months``: each takes plain facts about one member
and the ``RuleParams`` in force on the day judged, and returns a ``Finding`` or ``None``.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from jiceng.core.compliance import Finding, OrgRef, fmt_day, make_finding
from jiceng.core.rulebook import RuleParams
from jiceng.orgs.rules import add_months, add_years


class ProbationDecision(NamedTuple):
    """A decision on a probation (member development, issue 5, will record these).

    kind: ``convert`` (转正), ``extend`` (延长预备期, with ``extended_to``) or ``revoke`` (取消预备党员资格).
    """

    kind: str
    decided_on: dt.date
    extended_to: dt.date | None = None


def probation_ends(joined_on: dt.date, years: int) -> dt.date:
    """Probation runs ``years`` from the admitting branch meeting (入党日期); 29 Feb falls back to 28 Feb."""
    return add_years(joined_on, years)


def probation_overdue(
    *,
    org: OrgRef,
    member_id: int,
    name: str,
    day: dt.date,
    joined_on: dt.date,
    full_member_on: dt.date | None,
    decision: ProbationDecision | None,
    params: RuleParams,
) -> Finding | None:
    """Probation has ended on or before ``day`` (ending on the day judged counts as ended) and no
    decision is recorded by then: neither conversion (``full_member_on``) nor a decision of issue 5."""
    if not params.enabled:
        return None
    if full_member_on is not None and full_member_on <= day:
        return None
    ends = probation_ends(joined_on, params["probation_years"])
    if decision is not None and decision.decided_on <= day:
        if decision.kind != "extend":
            return None
        ends = decision.extended_to or ends
    if ends > day:
        return None
    return make_finding(
        params,
        org,
        day.isoformat(),
        {"day": day, "name": name, "joined_on": joined_on, "ends_on": ends},
        member=member_id,
        member_name=name,
    )


def no_life_window(day: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The ``months`` months ending on ``day``: meetings held after the first date and up to the second.

    31 August with 6 months → (28 or 29 February, 31 August]: the month arithmetic clamps to month ends.
    """
    return add_months(day, -months), day


def no_life_6_months(
    *,
    org: OrgRef,
    member_id: int,
    name: str,
    day: dt.date,
    joined_on: dt.date,
    present: int,
    leave: int,
    absent: int,
    params: RuleParams,
) -> Finding | None:
    """No organizational life attended in the window and at least one absence without leave.

    The counts are of attendance records of meetings held in ``no_life_window(day, months)``. Judged only
    for members who were members for the whole window and only on recorded evidence: a member with no
    attendance records (e.g. meetings imported with head counts only) or excused every time is not flagged.
    """
    if not params.enabled or present > 0 or absent == 0:
        return None
    since, _until = no_life_window(day, params["months"])
    if joined_on > since:
        return None
    return make_finding(
        params,
        org,
        day.isoformat(),
        {
            "day": day,
            "since": since,
            "name": name,
            "absent": absent,
            "leave": leave,
            "months": params["months"],
        },
        member=member_id,
        member_name=name,
    )


MESSAGES = {
    "member.probation_overdue": lambda f: (
        _("%(name)s于%(joined)s入党，预备期已于%(ends)s届满，截至%(day)s尚未讨论其转正")
        % {
            "name": f["name"],
            "joined": fmt_day(f["joined_on"]),
            "ends": fmt_day(f["ends_on"]),
            "day": fmt_day(f["day"]),
        }
    ),
    "member.no_life_6_months": lambda f: (
        ngettext(  # English says "1 unexcused absence", "2 unexcused absences"
            "%(name)s在%(since)s之后至%(day)s的%(months)s个月内未参加任何一次组织生活，其中%(absent)s次缺席未请假",
            "%(name)s在%(since)s之后至%(day)s的%(months)s个月内未参加任何一次组织生活，其中%(absent)s次缺席未请假",
            f["absent"],
        )
        % {
            "name": f["name"],
            "since": fmt_day(f["since"]),
            "day": fmt_day(f["day"]),
            "months": f["months"],
            "absent": f["absent"],
        }
    ),
}

EXPLANATIONS = {
    "member.probation_overdue": gettext_lazy(
        "预备党员的预备期为1年，从支部大会通过其为预备党员之日（入党日期）算起。预备期满，党支部应当及时讨论其能否转为正式党员；"
        "讨论后作出转正、延长预备期或取消预备党员资格的决定。预备期届满当日即视为已届满。"
    ),
    "member.no_life_6_months": gettext_lazy(
        "党员没有正当理由，连续6个月不参加党的组织生活的，被认为是自行脱党。系统只根据逐人登记的出席记录判断："
        "6个月内一次都没有出席、且至少有一次缺席未请假的党员才会列出；只有请假记录、或没有出席记录的不列出。"
    ),
}
