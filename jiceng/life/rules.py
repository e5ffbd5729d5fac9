"""Organizational-life rules (RULES.md §2) as pure functions over dates and counts.

``held`` is any collection of days on which a meeting of the kind was held (the engine passes the first
day of each month that had one; any day inside the period serves). A meeting on the first or the last
day of a period counts for that period. Each function takes the ``RuleParams`` in force on the last day
of the period it judges (for ``quorum``: the day of the meeting).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.compliance import Finding, OrgRef, fmt_day, fmt_period, make_finding
from jiceng.core.periods import Period
from jiceng.core.rulebook import RuleParams

from .models import MeetingKind


def held_in(period: Period, held: Iterable[dt.date]) -> bool:
    return any(day in period for day in held)


def _missing(
    params: RuleParams, org: OrgRef, period: Period, held: Iterable[dt.date], **facts: Any
) -> Finding | None:
    if not params.enabled or held_in(period, held):
        return None
    label = period.label
    return make_finding(params, org, label, {"period": label, **facts}, due_on=period.end)


def committee_meeting_monthly(
    *, org: OrgRef, month: Period, has_committee: bool, held: Iterable[dt.date], params: RuleParams
) -> Finding | None:
    """支部条例 Art. 12: a branch with a committee (in force on the month's first day) meets monthly."""
    if not has_committee:
        return None
    return _missing(params, org, month, held)


def group_meeting_monthly(
    *, org: OrgRef, month: Period, group_id: int, group_name: str, held: Iterable[dt.date], params: RuleParams
) -> Finding | None:
    """支部条例 Art. 13: each party group meets monthly. A 党小组会 recorded without a group counts as a
    joint meeting of all the branch's groups (the engine passes its days with every group's)."""
    if not params.enabled or held_in(month, held):
        return None
    return make_finding(
        params,
        org,
        month.label,
        {"period": month.label, "group": group_name},
        subject=f"group:{group_id}",
        due_on=month.end,
    )


def theme_day_monthly(
    *, org: OrgRef, month: Period, held: Iterable[dt.date], params: RuleParams
) -> Finding | None:
    return _missing(params, org, month, held)


def general_meeting_quarterly(
    *, org: OrgRef, period: Period, held: Iterable[dt.date], params: RuleParams
) -> Finding | None:
    return _missing(params, org, period, held)


def party_lecture_quarterly(
    *, org: OrgRef, period: Period, held: Iterable[dt.date], params: RuleParams
) -> Finding | None:
    return _missing(params, org, period, held)


def organizational_life_annual(
    *, org: OrgRef, period: Period, held: Iterable[dt.date], params: RuleParams
) -> Finding | None:
    return _missing(params, org, period, held)


def member_review_annual(
    *, org: OrgRef, period: Period, held: Iterable[dt.date], params: RuleParams
) -> Finding | None:
    """Only a recorded 民主评议党员 counts; one held together with the 组织生活会 is recorded as both."""
    return _missing(params, org, period, held)


def quorum_met(*, voting_members: int | None, voters_present: int | None) -> bool | None:
    """More than half of the voting members present (None: nothing to judge). Same as Meeting.quorum_met."""
    if not voting_members:
        return None
    return (voters_present or 0) * 2 > voting_members


def quorum(
    *,
    org: OrgRef,
    meeting_id: int,
    kind: str,
    held_on: dt.date,
    voting_members: int | None,
    voters_present: int | None,
    params: RuleParams,
) -> Finding | None:
    """支部条例 Art. 11, 12: a vote needs more than half of the voting members present."""
    if (
        not params.enabled
        or quorum_met(voting_members=voting_members, voters_present=voters_present) is not False
    ):
        return None
    return make_finding(
        params,
        org,
        held_on.isoformat(),
        {"day": held_on, "kind": kind, "voting": voting_members, "present": voters_present or 0},
        subject=f"meeting:{meeting_id}",
    )


# Sentences --------------------------------------------------------------------------------------------


def _kind(value: str) -> str:
    try:
        return str(MeetingKind(value).label)
    except ValueError:
        return value


MESSAGES = {
    "life.general_meeting_quarterly": lambda f: (
        _("%(period)s未召开支部党员大会") % {"period": fmt_period(f["period"])}
    ),
    "life.committee_meeting_monthly": lambda f: (
        _("%(period)s未召开支委会") % {"period": fmt_period(f["period"])}
    ),
    "life.group_meeting_monthly": lambda f: (
        _("%(period)s%(group)s未召开党小组会") % {"period": fmt_period(f["period"]), "group": f["group"]}
    ),
    "life.party_lecture_quarterly": lambda f: _("%(period)s未上党课") % {"period": fmt_period(f["period"])},
    "life.theme_day_monthly": lambda f: _("%(period)s未开展主题党日") % {"period": fmt_period(f["period"])},
    "life.organizational_life_annual": lambda f: (
        _("%(period)s未召开组织生活会") % {"period": fmt_period(f["period"])}
    ),
    "life.member_review_annual": lambda f: (
        _("%(period)s未开展民主评议党员") % {"period": fmt_period(f["period"])}
    ),
    "life.quorum": lambda f: _quorum_message(f),
}


def _quorum_message(f: Mapping[str, Any]) -> str:
    return _("%(day)s的%(kind)s进行表决时，有表决权的党员%(voting)s名，到会%(present)s名，未超过半数") % {
        "day": fmt_day(f["day"]),
        "kind": _kind(f["kind"]),
        "voting": f["voting"],
        "present": f["present"],
    }


EXPLANATIONS = {
    "life.general_meeting_quarterly": gettext_lazy(
        "支部党员大会一般每季度召开1次。季度内任何一天（含首日和末日）召开的支部党员大会都算数；季度开始后才成立的党支部不考核该季度。"
    ),
    "life.committee_meeting_monthly": gettext_lazy(
        "支部委员会会议一般每月召开1次。只考核当月第一天已有在任委员会的党支部；当月任何一天召开的支委会都算数。"
    ),
    "life.group_meeting_monthly": gettext_lazy(
        "党小组会一般每月召开1次。设有党小组的党支部，每个党小组分别考核；未注明党小组的党小组会视为各党小组联合召开。"
    ),
    "life.party_lecture_quarterly": gettext_lazy(
        "党员每季度至少上1次党课。这一要求来自各地通行做法，中央文件未作规定，系统管理员可以停用本规则。"
    ),
    "life.theme_day_monthly": gettext_lazy("党支部每月相对固定1天开展主题党日。当月任何一天开展的都算数。"),
    "life.organizational_life_annual": gettext_lazy(
        "组织生活会一般每年召开1次，多在第四季度。只在评估整年时考核。"
    ),
    "life.member_review_annual": gettext_lazy(
        "民主评议党员一般每年开展1次，可以结合组织生活会进行；结合进行时请同时登记民主评议党员。只在评估整年时考核。"
    ),
    "life.quorum": gettext_lazy(
        "支部党员大会等进行表决时，有表决权的到会人数必须超过应到会有表决权人数的半数。按会议当天有效的规则判断。"
    ),
}
