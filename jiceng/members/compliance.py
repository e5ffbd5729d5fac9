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

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from jiceng.core.compliance import Evaluation, Finding, raw_rows
from jiceng.core.rulebook import STATE, RuleParams, RuleSpec, register_facts, register_rules

from . import rules_compliance as rules
from .models import Member, Membership

# Facts -------------------------------------------------------------------------------------------------


def members_on(qs: Any, day: dt.date, member: str = "") -> Any:
    """Members (through ``member``, a relation path ending in ``__`` or empty) who had joined by
    ``day`` and were not closed by then."""
    return qs.filter(**{f"{member}joined_on__lte": day}).filter(
        Q(**{f"{member}closed_on__isnull": True}) | Q(**{f"{member}closed_on__gt": day})
    )


def memberships_of_day(day: dt.date, prefix: str) -> Any:
    """The membership record that places each member in a branch of the subtree ``prefix`` on ``day``.

    The branch of a member on a day (docs/compliance.md, "Membership of the day"): the membership
    record started latest by that day (the one covering it: a move ends the old record and starts the
    new on the same day); before their first record, the branch of that first record (jiceng first
    saw them there: creation and import start the record on that day, not on the joining date). A
    record whose branch was deleted (a merge) places the member nowhere in the tree. Members with no
    record at all: ``members_without_history``. One query, whatever the subtree's size.
    """
    later_by_day = Membership.objects.filter(member_id=OuterRef("member_id"), started_on__lte=day).filter(
        Q(started_on__gt=OuterRef("started_on")) | Q(started_on=OuterRef("started_on"), id__gt=OuterRef("id"))
    )
    earlier = Membership.objects.filter(member_id=OuterRef("member_id")).filter(
        Q(started_on__lt=OuterRef("started_on")) | Q(started_on=OuterRef("started_on"), id__lt=OuterRef("id"))
    )
    return Membership.objects.filter(org__path__prefix=prefix).filter(
        (Q(started_on__lte=day) & ~Exists(later_by_day)) | (Q(started_on__gt=day) & ~Exists(earlier))
    )


def members_without_history(prefix: str) -> Any:
    """Members of the subtree (by their current branch) without any membership record: they count in
    their current branch on every day (``bench/load_province.py`` writes no records, for one)."""
    return Member.objects.filter(org_path__prefix=prefix).filter(
        ~Exists(Membership.objects.filter(member_id=OuterRef("pk")))
    )


def load_counts(ev: Evaluation, day: dt.date) -> dict[int, tuple[int, int]]:
    """(members, full members) of each branch on ``day``, each member in their branch of that day
    (``memberships_of_day``): joined by then, not yet closed, full by then. Two queries."""
    out: dict[int, tuple[int, int]] = {}

    def add(qs: Any, member: str) -> None:
        full_by_then = Q(**{f"{member}status": "full"}) & (
            Q(**{f"{member}full_member_on__isnull": True}) | Q(**{f"{member}full_member_on__lte": day})
        )
        rows = (
            members_on(qs, day, member)
            .order_by()
            .values("org_id")
            .annotate(total=Count("id"), full=Count("id", filter=full_by_then))
            .values_list("org_id", "total", "full")
        )
        for org_id, total, full in raw_rows(rows):
            before = out.get(org_id, (0, 0))
            out[org_id] = (before[0] + total, before[1] + full)

    add(memberships_of_day(day, ev.prefix), "member__")
    add(members_without_history(ev.prefix), "")
    return out


def load_probationary(ev: Evaluation, day: dt.date) -> list[tuple]:
    """Members who were probationary on ``day`` (not yet full members by then), each with their branch
    of that day: (member, branch, name, joined, full-member day). Two queries."""

    def rows(qs: Any, member: str, key: str) -> list[tuple]:
        return list(
            members_on(qs, day, member)
            .filter(Q(**{f"{member}status": "probationary"}) | Q(**{f"{member}full_member_on__gt": day}))
            .order_by()
            .values_list(key, "org_id", f"{member}name", f"{member}joined_on", f"{member}full_member_on")
        )

    found = rows(memberships_of_day(day, ev.prefix), "member__", "member_id")
    found += rows(members_without_history(ev.prefix), "", "id")
    return sorted(found, key=lambda r: r[0])


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
        fix=lambda f, today: reverse("members:detail", kwargs={"pk": f.member}) if f.member else None,
        pending=_("%(day)s前讨论转正"),
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
