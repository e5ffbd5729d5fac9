"""The rules of member development (RULES.md §4) as this app declares them to the compliance engine.

The hard rules (period STEP) refuse an illegal step in ``services`` through ``rules.check_step``; they
are registered so that rule sets, the API and the catalogue know them, and the engine never judges
them. The lateness rules (``dev.talk_within_month``, ``dev.review_half_yearly``,
``dev.approval_within``) are findings of a state day, judged over the subtree's files. This app also
provides the decisions on probation it records (``development.probation_decisions``), which the
members app's ``member.probation_overdue`` asks for. ``DevelopmentConfig.ready()`` registers them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from jiceng.core.compliance import Evaluation, Finding
from jiceng.core.rulebook import STATE, STEP, RuleParams, RuleSpec, register_facts, register_rules

from . import rules, selectors
from .models import StepKind

# Facts -------------------------------------------------------------------------------------------------


def load_timelines(ev: Evaluation) -> list[tuple[Any, rules.Timeline]]:
    """The subtree's files with their timelines (two queries)."""
    return selectors.timelines_in(ev.prefix)


def load_probation_decisions(
    ev: Evaluation | None, member_ids: tuple[int, ...], day: dt.date
) -> dict[int, Any]:
    return selectors.probation_decisions(member_ids, day)


# Judges --------------------------------------------------------------------------------------------------


def _judge(rule: Callable[..., Any]) -> Callable[..., Iterator[Finding]]:
    def judge(ev: Evaluation, day: dt.date, params: RuleParams) -> Iterator[Finding]:
        existing = ev.existing_on(day)
        for development, timeline in ev.fact("development.timelines"):
            o = existing.get(development.org_id)
            if o is None or development.applied_on > day:
                continue
            found = rule(
                org=o.ref,
                file_id=development.pk,
                name=development.name,
                day=day,
                timeline=timeline,
                params=params,
            )
            if isinstance(found, list):
                yield from found
            elif found:
                yield found

    return judge


# Fixes: the step form of the file a finding is about ---------------------------------------------------------


def _fix_step(kind: str) -> Any:
    def fix(f: Any, today: dt.date) -> str | None:
        if f.development_id is None:
            return None
        return reverse("development:step", kwargs={"pk": f.development_id, "kind": kind})

    return fix


# Specs -----------------------------------------------------------------------------------------------------


def _spec(
    code: str, title: Any, period: str, citation: str, defaults: dict | None = None, **kw: Any
) -> RuleSpec:
    if period == STATE:
        kw.setdefault("message", rules.MESSAGES[code])
        kw.setdefault("explanation", rules.EXPLANATIONS[code])
    return RuleSpec(code, title, period, citation, defaults or {}, section="4", **kw)


SPECS = (
    _spec(
        "dev.min_age",
        _("申请入党须年满十八周岁"),
        STEP,
        gettext_noop("中国共产党章程第一条；中国共产党发展党员工作细则第五条"),
        {"min_age": 18},
    ),
    _spec(
        "dev.talk_within_month",
        _("收到入党申请书后一个月内未派人谈话"),
        STATE,
        gettext_noop("中国共产党发展党员工作细则第七条"),
        {"months": 1},
        judge=_judge(rules.talk_overdue),
        fix=_fix_step(StepKind.TALK),
        pending=_("%(day)s前派人谈话"),
    ),
    _spec(
        "dev.activist_recorded",
        _("确定入党积极分子须经推荐、支部委员会研究决定并报上级党委备案"),
        STEP,
        gettext_noop("中国共产党发展党员工作细则第八条"),
    ),
    _spec(
        "dev.mentors",
        _("入党积极分子须有1至2名正式党员作培养联系人"),
        STEP,
        gettext_noop("中国共产党发展党员工作细则第十条"),
        {"min_mentors": 1, "max_mentors": 2},
        confidence="V-c",
    ),
    _spec(
        "dev.review_half_yearly",
        _("半年内未对入党积极分子进行考察"),
        STATE,
        gettext_noop("中国共产党发展党员工作细则第十一条"),
        {"months": 6},
        judge=_judge(rules.review_overdue),
        fix=_fix_step(StepKind.REVIEW),
        pending=_("%(day)s前对入党积极分子进行考察"),
    ),
    _spec(
        "dev.activist_min_period",
        _("经过一年以上培养教育和考察方可列为发展对象"),
        STEP,
        gettext_noop("中国共产党发展党员工作细则第十三条"),
        {"years": 1},
    ),
    _spec(
        "dev.sponsors",
        _("发展对象须有两名正式党员作入党介绍人，受留党察看处分尚未恢复党员权利的党员不能作入党介绍人"),
        STEP,
        gettext_noop("中国共产党发展党员工作细则第十四条"),
        {"sponsors": 2},
    ),
    _spec(
        "dev.political_review",
        _("接收预备党员前须进行政治审查"),
        STEP,
        gettext_noop("中国共产党发展党员工作细则（政治审查）"),
        confidence="U",
    ),
    _spec(
        "dev.training",
        _("发展对象须经过不少于3天或24学时的集中培训"),
        STEP,
        gettext_noop("中国共产党发展党员工作细则第十七条"),
        {"min_days": 3, "min_hours": 24},
    ),
    _spec(
        "dev.pre_review",
        _("支部大会讨论前须经上级党委预审"),
        STEP,
        gettext_noop("中国共产党发展党员工作细则第十九条"),
    ),
    _spec(
        "dev.admission_vote",
        _("接收预备党员的支部大会须有半数以上有表决权的党员到会，赞成人数超过应到会有表决权的正式党员的半数"),
        STEP,
        gettext_noop("中国共产党发展党员工作细则第二十条、第二十一条"),
    ),
    _spec(
        "dev.approval_within",
        _("上级党委未在规定期限内审批"),
        STATE,
        gettext_noop("中国共产党发展党员工作细则"),
        {"months": 3, "special_months": 6},
        confidence="V-c",
        judge=_judge(rules.approval_overdue),
        fix=_fix_step(StepKind.APPROVAL),
        pending=_("%(day)s前完成上级党委审批"),
    ),
    _spec(
        "dev.probation_min_period",
        _("预备期满一年方可讨论转为正式党员"),
        STEP,
        gettext_noop("中国共产党章程第七条"),
        {"years": 1},
    ),
    _spec(
        "dev.extension_bounds",
        _("延长预备期只能一次，时间不少于半年，最长不超过一年"),
        STEP,
        gettext_noop("中国共产党发展党员工作细则第三十二条"),
        {"min_months": 6, "max_months": 12, "max_extensions": 1},
    ),
    _spec(
        "dev.conversion_vote",
        _("讨论预备党员转正的支部大会须符合与接收预备党员相同的到会和表决要求"),
        STEP,
        gettext_noop("中国共产党发展党员工作细则第三十三条"),
    ),
    _spec(
        "dev.public_notice",
        _("确定发展对象前须公示不少于5个工作日"),
        STEP,
        gettext_noop("各地通行做法（2026年修订文本待核）"),
        {"working_days": 5},
        confidence="U",
    ),
)


def register() -> None:
    register_facts("development.timelines", load_timelines)
    register_facts("development.probation_decisions", load_probation_decisions)
    register_rules("development", *SPECS)
