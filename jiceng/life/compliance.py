"""The organizational-life rules (RULES.md §2) as this app declares them to the compliance engine.

The specs, the bulk loaders (meetings of the window by branch, kind, party group and month; party
groups; voted meetings; attendance of members present nowhere) and the judges that hand those facts
to the pure functions of ``rules`` (where the sentences and explanations are). ``LifeConfig.ready()``
registers them with ``core.rulebook``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from jiceng.core import periods
from jiceng.core.compliance import Evaluation, Finding, raw_rows
from jiceng.core.periods import Period
from jiceng.core.rulebook import (
    MEETING,
    MONTH,
    QUARTER,
    YEAR,
    RuleParams,
    RuleSpec,
    register_facts,
    register_rules,
)
from jiceng.members import compliance as member_compliance
from jiceng.members import rules_compliance as member_rules
from jiceng.orgs.models import PartyGroup

from . import rules
from .models import Meeting

# Which meeting kind each periodic rule looks for.
KIND_OF = {
    "life.general_meeting_quarterly": "general_meeting",
    "life.committee_meeting_monthly": "committee_meeting",
    "life.group_meeting_monthly": "group_meeting",
    "life.party_lecture_quarterly": "party_lecture",
    "life.theme_day_monthly": "theme_day",
    "life.organizational_life_annual": "organizational_life_meeting",
    "life.member_review_annual": "member_review",
}

# Facts -------------------------------------------------------------------------------------------------


Held = dict[tuple[int, Any], tuple[dt.date, ...]]


def load_held(ev: Evaluation) -> tuple[Held, Held]:
    """The months in which each branch held each kind of meeting, and each party group its 党小组会:
    ``({(org, kind): month starts}, {(org, group or None): month starts})``. One query over the window
    of the plan's months, quarters and years, for the kinds of the rules switched on."""
    window = ev.window()
    kinds = {KIND_OF[c] for c in ev.enabled if c in KIND_OF}
    if window is None or not kinds:
        return {}, {}
    start, end = window
    months = periods.Period(start, end, "window").months()
    # The month of each meeting as a plain CASE (portable, and no date conversions per row).
    month_of = Case(
        *[When(held_on__gte=m.start, held_on__lte=m.end, then=Value(i)) for i, m in enumerate(months)],
        output_field=IntegerField(),
    )
    rows = (
        Meeting.objects.filter(
            org_path__prefix=ev.prefix, held_on__gte=start, held_on__lte=end, kind__in=kinds
        )
        .order_by()
        .annotate(month=month_of)
        .values_list("org_id", "kind", "group_id", "month")
        .distinct()
    )
    held: dict[tuple[int, str], set[dt.date]] = defaultdict(set)
    group_held: dict[tuple[int, int | None], set[dt.date]] = defaultdict(set)
    for org_id, kind, group_id, index in raw_rows(rows):
        month = months[index].start
        held[(org_id, kind)].add(month)
        if kind == "group_meeting":
            group_held[(org_id, group_id)].add(month)
    return {k: tuple(v) for k, v in held.items()}, {k: tuple(v) for k, v in group_held.items()}


def load_groups(ev: Evaluation) -> dict[int, list[tuple[int, str]]]:
    """Party groups of each branch: org id → [(group id, name)]."""
    groups: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for gid, org_id, name in (
        PartyGroup.objects.filter(org__path__prefix=ev.prefix)
        .order_by("org_id", "name", "id")
        .values_list("id", "org_id", "name")
    ):
        groups[org_id].append((gid, name))
    return dict(groups)


def load_voted(ev: Evaluation) -> list[tuple]:
    """The meetings that voted, held in any of the plan's meeting windows."""
    q = Q(pk__in=[])
    for p in ev.plan.meetings:
        q |= Q(held_on__gte=p.start, held_on__lte=p.end)
    return list(
        Meeting.objects.filter(q, org_path__prefix=ev.prefix, voted=True)
        .order_by("held_on", "id")
        .values_list("id", "org_id", "kind", "held_on", "voting_members", "voters_present")
    )


def load_absentees(ev: Evaluation, day: dt.date, months: int) -> list[tuple]:
    """Members without a single 'present' in the ``months`` before ``day``, with their absences by kind,
    each in their branch of ``day`` (the members app's membership of the day): (member, branch, name,
    joined, present, leave, absent). Two queries."""
    after, until = member_rules.no_life_window(day, months)

    def rows(qs: Any, member: str, key: str) -> list[tuple]:
        attended = f"{member}attendance"
        return list(
            member_compliance.members_on(
                qs.filter(
                    **{
                        f"{attended}__meeting__held_on__gt": after,
                        f"{attended}__meeting__held_on__lte": until,
                    }
                ),
                day,
                member,
            )
            .order_by()
            .values(key, "org_id", f"{member}name", f"{member}joined_on")
            .annotate(
                present=Count(attended, filter=Q(**{f"{attended}__presence": "present"})),
                leave=Count(attended, filter=Q(**{f"{attended}__presence": "leave"})),
                absent=Count(attended, filter=Q(**{f"{attended}__presence": "absent"})),
            )
            .filter(present=0)
            .values_list(key, "org_id", f"{member}name", f"{member}joined_on", "present", "leave", "absent")
        )

    return [
        *rows(member_compliance.memberships_of_day(day, ev.prefix), "member__", "member_id"),
        *rows(member_compliance.members_without_history(ev.prefix), "", "id"),
    ]


# Judges -----------------------------------------------------------------------------------------------------


def _branches_from(ev: Evaluation, day: dt.date) -> Iterator[Any]:
    """Branches judged for a period starting on ``day``: a branch founded during it is not."""
    return (b for b in ev.of_kind("branch") if b.exists_on(day))


def judge_committee_meeting_monthly(ev: Evaluation, month: Period, params: RuleParams) -> Iterator[Finding]:
    held, _groups = ev.fact("life.held")
    with_committee = ev.fact("orgs.committees").on(month.start)
    for b in _branches_from(ev, month.start):
        f = rules.committee_meeting_monthly(
            org=b.ref,
            month=month,
            has_committee=b.id in with_committee,
            held=held.get((b.id, "committee_meeting"), ()),
            params=params,
        )
        if f:
            yield f


def judge_group_meeting_monthly(ev: Evaluation, month: Period, params: RuleParams) -> Iterator[Finding]:
    _held, group_held = ev.fact("life.held")
    groups = ev.fact("life.groups")
    for b in _branches_from(ev, month.start):
        joint = group_held.get((b.id, None), ())
        for gid, name in groups.get(b.id, ()):
            f = rules.group_meeting_monthly(
                org=b.ref,
                month=month,
                group_id=gid,
                group_name=name,
                held=[*group_held.get((b.id, gid), ()), *joint],
                params=params,
            )
            if f:
                yield f


def _held_judge(code: str, rule: Callable[..., Finding | None]) -> Callable[..., Iterator[Finding]]:
    """A branch must have held a meeting of the rule's kind in the period."""
    kind = KIND_OF[code]

    def judge(ev: Evaluation, period: Period, params: RuleParams) -> Iterator[Finding]:
        held, _groups = ev.fact("life.held")
        for b in _branches_from(ev, period.start):
            f = rule(org=b.ref, period=period, held=held.get((b.id, kind), ()), params=params)
            if f:
                yield f

    return judge


def judge_theme_day_monthly(ev: Evaluation, month: Period, params: RuleParams) -> Iterator[Finding]:
    held, _groups = ev.fact("life.held")
    for b in _branches_from(ev, month.start):
        f = rules.theme_day_monthly(
            org=b.ref, month=month, held=held.get((b.id, "theme_day"), ()), params=params
        )
        if f:
            yield f


def judge_quorum(
    ev: Evaluation, windows: tuple[Period, ...], params_on: Callable[[dt.date], RuleParams]
) -> Iterator[Finding]:
    for mid, org_id, kind, held_on, voting, present in ev.fact("life.voted"):
        o = ev.by_id.get(org_id)
        if o is None:
            continue
        f = rules.quorum(
            org=o.ref,
            meeting_id=mid,
            kind=kind,
            held_on=held_on,
            voting_members=voting,
            voters_present=present,
            params=params_on(held_on),
        )
        if f:
            yield f


# Fixes: the form that clears a finding -------------------------------------------------------------------


def fix_held(f: Any, today: dt.date) -> str:
    """The meeting form of the finding's branch, set to the rule's kind (and party group) and to a day
    of the period missed: its last day, or today while the period runs."""
    period = periods.parse(f.period)
    query = {"org": f.org_code, "kind": KIND_OF[f.rule], "held_on": min(period.end, today).isoformat()}
    if f.subject.startswith("group:"):
        query["group"] = f.subject.split(":", 1)[1]
    return reverse("life:create") + "?" + urlencode(query)


def fix_quorum(f: Any, today: dt.date) -> str | None:
    """The meeting's own form: its vote counts are corrected there."""
    if not f.subject.startswith("meeting:"):
        return None
    return reverse("life:edit", kwargs={"pk": int(f.subject.split(":", 1)[1])})


# Specs ------------------------------------------------------------------------------------------------------


def _spec(code: str, title: Any, period: str, citation: str, judge: Any, **kw: Any) -> RuleSpec:
    if code in KIND_OF:
        kw.setdefault("fix", fix_held)
    return RuleSpec(
        code,
        title,
        period,
        citation,
        section="2",
        judge=judge,
        message=rules.MESSAGES[code],
        explanation=rules.EXPLANATIONS[code],
        **kw,
    )


SPECS = (
    _spec(
        "life.general_meeting_quarterly",
        _("本季度未召开支部党员大会"),
        QUARTER,
        gettext_noop("中国共产党支部工作条例（试行）第十一条"),
        _held_judge("life.general_meeting_quarterly", rules.general_meeting_quarterly),
        pending=_("%(day)s前召开支部党员大会"),
        late=_("%(period)s未召开支部党员大会（应于%(day)s前召开）"),
    ),
    _spec(
        "life.committee_meeting_monthly",
        _("本月未召开支委会"),
        MONTH,
        gettext_noop("中国共产党支部工作条例（试行）第十二条"),
        judge_committee_meeting_monthly,
        pending=_("%(day)s前召开支委会"),
        late=_("%(period)s未召开支委会（应于%(day)s前召开）"),
    ),
    _spec(
        "life.group_meeting_monthly",
        _("本月党小组未召开党小组会"),
        MONTH,
        gettext_noop("中国共产党支部工作条例（试行）第十三条"),
        judge_group_meeting_monthly,
        pending=_("%(day)s前%(group)s召开党小组会"),
        late=_("%(period)s%(group)s未召开党小组会（应于%(day)s前召开）"),
    ),
    _spec(
        "life.party_lecture_quarterly",
        _("本季度未上党课"),
        QUARTER,
        gettext_noop("各地通行做法（中央文件未作规定）"),
        _held_judge("life.party_lecture_quarterly", rules.party_lecture_quarterly),
        confidence="U",
        pending=_("%(day)s前上党课"),
        late=_("%(period)s未上党课（应于%(day)s前上）"),
    ),
    _spec(
        "life.theme_day_monthly",
        _("本月未开展主题党日"),
        MONTH,
        gettext_noop("中国共产党支部工作条例（试行）第十六条"),
        judge_theme_day_monthly,
        confidence="V-c",
        pending=_("%(day)s前开展主题党日"),
        late=_("%(period)s未开展主题党日（应于%(day)s前开展）"),
    ),
    _spec(
        "life.organizational_life_annual",
        _("本年度未召开组织生活会"),
        YEAR,
        gettext_noop("中国共产党支部工作条例（试行）第十七条"),
        _held_judge("life.organizational_life_annual", rules.organizational_life_annual),
        pending=_("%(day)s前召开组织生活会"),
        late=_("%(period)s未召开组织生活会（应于%(day)s前召开）"),
    ),
    _spec(
        "life.member_review_annual",
        _("本年度未开展民主评议党员"),
        YEAR,
        gettext_noop("中国共产党支部工作条例（试行）"),
        _held_judge("life.member_review_annual", rules.member_review_annual),
        confidence="V-c",
        pending=_("%(day)s前开展民主评议党员"),
        late=_("%(period)s未开展民主评议党员（应于%(day)s前开展）"),
    ),
    _spec(
        "life.quorum",
        _("表决时到会有表决权的党员未超过半数"),
        MEETING,
        gettext_noop("中国共产党支部工作条例（试行）第十一条、第十二条"),
        judge_quorum,
        fix=fix_quorum,
    ),
)


def register() -> None:
    register_facts("life.held", load_held)
    register_facts("life.groups", load_groups)
    register_facts("life.voted", load_voted)
    register_facts("life.absentees", load_absentees)
    register_rules("life", *SPECS)
