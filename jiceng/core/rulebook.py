"""The regulations' checkable rules (../shared/RULES.md): codes, shipped parameters, citations.

Every number is a parameter with an effective date, not a constant: a system administrator records a
new ``RuleVersion`` (value, effective date, citation) and evaluations use the values in force on the
day they judge. A rule can be switched off the same way (``enabled``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

# Period a rule judges: state (as of a day), month, quarter, year, or each meeting.
STATE, MONTH, QUARTER, YEAR, MEETING, STEP = "state", "month", "quarter", "year", "meeting", "step"

ZHIBU = "中国共产党支部工作条例（试行）"
XIZE = "中国共产党发展党员工作细则"
DANGZHANG = "中国共产党章程"
RENQI = "关于党的基层组织任期的意见"
XUANJU = "中国共产党基层组织选举工作条例"


@dataclass(frozen=True)
class RuleSpec:
    code: str
    title: Any
    period: str
    citation: str
    defaults: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    confidence: str = "V"  # V, V-c or U, as RULES.md grades its source


SPECS: tuple[RuleSpec, ...] = (
    # §1 Organization rules (state at a date)
    RuleSpec(
        "org.branch_too_small", _("党支部正式党员不足3人"), STATE, f"{ZHIBU}第四条", {"min_full_members": 3}
    ),
    RuleSpec("org.branch_too_large", _("党支部党员超过50人"), STATE, f"{ZHIBU}第四条", {"max_members": 50}),
    RuleSpec(
        "org.committee_missing",
        _("正式党员7人以上的党支部未设支部委员会"),
        STATE,
        f"{ZHIBU}第六章",
        {"committee_threshold": 7},
        confidence="V-c",
    ),
    RuleSpec(
        "org.committee_size",
        _("支部委员会人数不在3至7人之间"),
        STATE,
        f"{ZHIBU}第六章",
        {"min_size": 3, "max_size": 7},
        confidence="V-c",
    ),
    RuleSpec(
        "org.committee_term_expired",
        _("委员会任期已满未换届"),
        STATE,
        f"{RENQI}；{ZHIBU}第二十一条",
        {"term_years_community_village": 5, "term_years_other": 3, "term_years_committee": 5},
    ),
    RuleSpec(
        "org.committee_term_due",
        _("委员会任期将在6个月内届满"),
        STATE,
        f"{ZHIBU}",
        {"notice_months": 6},
        confidence="V-c",
    ),
    RuleSpec("org.secretary_missing", _("党支部没有书记"), STATE, f"{ZHIBU}第六章", confidence="V-c"),
    RuleSpec(
        "org.secretary_standing_short",
        _("支部书记党龄不足1年"),
        STATE,
        f"{ZHIBU}第二十三条；{DANGZHANG}第七条",
        {"min_standing_years": 1},
    ),
    # §2 Organizational life
    RuleSpec("life.general_meeting_quarterly", _("本季度未召开支部党员大会"), QUARTER, f"{ZHIBU}第十一条"),
    RuleSpec("life.committee_meeting_monthly", _("本月未召开支委会"), MONTH, f"{ZHIBU}第十二条"),
    RuleSpec("life.group_meeting_monthly", _("本月党小组未召开党小组会"), MONTH, f"{ZHIBU}第十三条"),
    RuleSpec(
        "life.party_lecture_quarterly",
        _("本季度未上党课"),
        QUARTER,
        "各地通行做法（中央文件未作规定）",
        confidence="U",
    ),
    RuleSpec("life.theme_day_monthly", _("本月未开展主题党日"), MONTH, f"{ZHIBU}第十六条", confidence="V-c"),
    RuleSpec("life.organizational_life_annual", _("本年度未召开组织生活会"), YEAR, f"{ZHIBU}第十七条"),
    RuleSpec("life.member_review_annual", _("本年度未开展民主评议党员"), YEAR, f"{ZHIBU}", confidence="V-c"),
    RuleSpec("life.quorum", _("表决时到会有表决权的党员未超过半数"), MEETING, f"{ZHIBU}第十一条、第十二条"),
    # §3 Members
    RuleSpec(
        "member.probation_overdue",
        _("预备期已满未讨论转正"),
        STATE,
        f"{DANGZHANG}第七条；{XIZE}",
        {"probation_years": 1},
    ),
    RuleSpec(
        "member.no_life_6_months",
        _("连续6个月未参加党的组织生活"),
        STATE,
        f"{DANGZHANG}第九条",
        {"months": 6},
    ),
)

BY_CODE: dict[str, RuleSpec] = {s.code: s for s in SPECS}


@dataclass(frozen=True)
class RuleParams:
    """A rule's parameters as in force on one day."""

    code: str
    enabled: bool
    values: dict[str, Any]
    citation: str
    effective_from: dt.date | None  # None: the shipped default

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


class RuleBook:
    """All rule versions, loaded once per evaluation; ``on(code, day)`` picks the one in force."""

    def __init__(self, versions: Iterable[Any] | None = None) -> None:
        if versions is None:
            from .models import RuleVersion

            versions = RuleVersion.objects.order_by("code", "effective_from")
        self._versions: dict[str, list[Any]] = {}
        for v in versions:
            self._versions.setdefault(v.code, []).append(v)
        for items in self._versions.values():
            items.sort(key=lambda v: v.effective_from)

    def on(self, code: str, day: dt.date) -> RuleParams:
        spec = BY_CODE[code]
        current = None
        for v in self._versions.get(code, []):
            if v.effective_from <= day:
                current = v
            else:
                break
        if current is None:
            return RuleParams(code, spec.enabled, dict(spec.defaults), spec.citation, None)
        return RuleParams(
            code,
            current.enabled,
            {**spec.defaults, **current.params},
            current.citation or spec.citation,
            current.effective_from,
        )
