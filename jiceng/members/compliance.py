"""The member rules of RULES.md §3 as this app declares them to the compliance engine.

``member.probation_overdue`` and ``member.no_life_6_months``: specs, bulk loaders (member counts of
each branch on a day, for the organization rules too; probationary members on a day) and judges over
the pure functions of ``rules_compliance``. Facts kept by other apps are asked for by name and are
empty when that app is not installed: the attendance of organizational life (``life.absentees``) and
the decisions on probation of member development (``development.probation_decisions``).
``MembersConfig.ready()`` registers them with ``core.rulebook``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from jiceng.core.compliance import Evaluation, Finding, raw_rows
from jiceng.core.rulebook import STATE, RuleParams, RuleSpec, register_facts, register_rules

from . import rules_compliance as rules
from .models import Member

# Facts -------------------------------------------------------------------------------------------------


def _members_on(qs: Any, day: dt.date) -> Any:
    return qs.filter(joined_on__lte=day).filter(Q(closed_on__isnull=True) | Q(closed_on__gt=day))


def load_counts(ev: Evaluation, day: dt.date) -> dict[int, tuple[int, int]]:
    """(members, full members) of each branch on ``day``: joined by then, not yet closed, full by then."""
    full_by_then = Q(status="full") & (Q(full_member_on__isnull=True) | Q(full_member_on__lte=day))
    rows = (
        _members_on(Member.objects.filter(org_path__prefix=ev.prefix), day)
        .order_by()
        .values("org_id")
        .annotate(total=Count("id"), full=Count("id", filter=full_by_then))
        .values_list("org_id", "total", "full")
    )
    return {org_id: (total, full) for org_id, total, full in raw_rows(rows)}


def load_probationary(ev: Evaluation, day: dt.date) -> list[tuple]:
    """Members who were probationary on ``day`` (not yet full members by then)."""
    return list(
        _members_on(Member.objects.filter(org_path__prefix=ev.prefix), day)
        .filter(Q(status="probationary") | Q(full_member_on__gt=day))
        .order_by("id")
        .values_list("id", "org_id", "name", "joined_on", "full_member_on")
    )


# Judges --------------------------------------------------------------------------------------------------


def judge_probation_overdue(ev: Evaluation, day: dt.date, params: RuleParams) -> Iterator[Finding]:
    rows = ev.fact("members.probationary", day)
    decisions = ev.fact("development.probation_decisions", tuple(r[0] for r in rows), day, default={})
    existing = ev.existing_on(day)
    for mid, org_id, name, joined, full_on in rows:
        o = existing.get(org_id)
        if o is None:
            continue
        f = rules.probation_overdue(
            org=o.ref,
            member_id=mid,
            name=name,
            day=day,
            joined_on=joined,
            full_member_on=full_on,
            decision=decisions.get(mid),
            params=params,
        )
        if f:
            yield f


def judge_no_life(ev: Evaluation, day: dt.date, params: RuleParams) -> Iterator[Finding]:
    existing = ev.existing_on(day)
    for mid, org_id, name, joined, present, leave, absent in ev.fact(
        "life.absentees", day, params["months"], default=()
    ):
        o = existing.get(org_id)
        if o is None:
            continue
        f = rules.no_life_6_months(
            org=o.ref,
            member_id=mid,
            name=name,
            day=day,
            joined_on=joined,
            present=present,
            leave=leave,
            absent=absent,
            params=params,
        )
        if f:
            yield f


# Specs -----------------------------------------------------------------------------------------------------

SPECS = (
    RuleSpec(
        "member.probation_overdue",
        _("预备期已满未讨论转正"),
        STATE,
        gettext_noop("中国共产党章程第七条；中国共产党发展党员工作细则"),
        {"probation_years": 1},
        section="3",
        judge=judge_probation_overdue,
        message=rules.MESSAGES["member.probation_overdue"],
        explanation=rules.EXPLANATIONS["member.probation_overdue"],
    ),
    RuleSpec(
        "member.no_life_6_months",
        _("连续6个月未参加党的组织生活"),
        STATE,
        gettext_noop("中国共产党章程第九条"),
        {"months": 6},
        section="3",
        judge=judge_no_life,
        # Judged once the whole window has records: meetings held after add_months(day, -months).
        reaches_back=lambda params, day: (
            rules.no_life_window(day, params["months"])[0] + dt.timedelta(days=1)
        ),
        message=rules.MESSAGES["member.no_life_6_months"],
        explanation=rules.EXPLANATIONS["member.no_life_6_months"],
    ),
)


def register() -> None:
    register_facts("members.counts", load_counts)
    register_facts("members.probationary", load_probationary)
    register_rules("members", *SPECS)
