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

# §4 Developing members: hard rules refuse a step (period STEP); lateness rules are findings (STATE).
DEVELOPMENT_SPECS: tuple[RuleSpec, ...] = (
    RuleSpec(
        "dev.min_age", _("申请入党须年满十八周岁"), STEP, f"{DANGZHANG}第一条；{XIZE}第五条", {"min_age": 18}
    ),
    RuleSpec(
        "dev.talk_within_month",
        _("收到入党申请书后一个月内未派人谈话"),
        STATE,
        f"{XIZE}第七条",
        {"months": 1},
    ),
    RuleSpec(
        "dev.activist_recorded",
        _("确定入党积极分子须经推荐、支部委员会研究决定并报上级党委备案"),
        STEP,
        f"{XIZE}第八条",
    ),
    RuleSpec(
        "dev.mentors",
        _("入党积极分子须有1至2名正式党员作培养联系人"),
        STEP,
        f"{XIZE}第十条",
        {"min_mentors": 1, "max_mentors": 2},
        confidence="V-c",
    ),
    RuleSpec(
        "dev.review_half_yearly",
        _("党支部每半年未对入党积极分子进行一次考察"),
        STATE,
        f"{XIZE}第十一条",
        {"months": 6},
    ),
    RuleSpec(
        "dev.activist_min_period",
        _("经过一年以上培养教育和考察方可列为发展对象"),
        STEP,
        f"{XIZE}第十三条",
        {"years": 1},
    ),
    RuleSpec(
        "dev.sponsors",
        _("发展对象须有两名正式党员作入党介绍人，受留党察看处分尚未恢复党员权利的党员不能作入党介绍人"),
        STEP,
        f"{XIZE}第十四条",
        {"sponsors": 2},
    ),
    RuleSpec(
        "dev.political_review", _("接收预备党员前须进行政治审查"), STEP, f"{XIZE}（政治审查）", confidence="U"
    ),
    RuleSpec(
        "dev.training",
        _("发展对象须经过不少于3天或24学时的集中培训"),
        STEP,
        f"{XIZE}第十七条",
        {"min_days": 3, "min_hours": 24},
    ),
    RuleSpec("dev.pre_review", _("支部大会讨论前须经上级党委预审"), STEP, f"{XIZE}第十九条"),
    RuleSpec(
        "dev.admission_vote",
        _("接收预备党员的支部大会须有半数以上有表决权的党员到会，赞成人数超过应到会有表决权的正式党员的半数"),
        STEP,
        f"{XIZE}第二十条、第二十一条",
    ),
    RuleSpec(
        "dev.approval_within",
        _("上级党委未在规定期限内审批"),
        STATE,
        f"{XIZE}",
        {"months": 3, "special_months": 6},
        confidence="V-c",
    ),
    RuleSpec(
        "dev.probation_min_period",
        _("预备期满一年方可讨论转为正式党员"),
        STEP,
        f"{DANGZHANG}第七条",
        {"years": 1},
    ),
    RuleSpec(
        "dev.extension_bounds",
        _("延长预备期只能一次，时间不少于半年，最长不超过一年"),
        STEP,
        f"{XIZE}第三十二条",
        {"min_months": 6, "max_months": 12, "max_extensions": 1},
    ),
    RuleSpec(
        "dev.conversion_vote",
        _("讨论预备党员转正的支部大会须符合与接收预备党员相同的到会和表决要求"),
        STEP,
        f"{XIZE}第三十三条",
    ),
    RuleSpec(
        "dev.public_notice",
        _("确定发展对象前须公示不少于5个工作日"),
        STEP,
        "各地通行做法（2026年修订文本待核）",
        {"working_days": 5},
        confidence="U",
    ),
)

SPECS = SPECS + DEVELOPMENT_SPECS

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
