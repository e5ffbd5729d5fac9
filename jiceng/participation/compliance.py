"""``partner.member_not_reported`` as this app declares it to the compliance engine: the spec
(switched off by default: local practice), the bulk loader of the members of a subtree on a day with
the day they arrived in their branch and whether a registration was in force, and the judge handing
them to ``rules.member_not_reported``. ``ParticipationConfig.ready()`` registers them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from jiceng.core.compliance import Evaluation, Finding, raw_rows
from jiceng.core.rulebook import STATE, RuleParams, RuleSpec, register_facts, register_rules
from jiceng.members.compliance import members_on, members_without_history, memberships_of_day

from . import rules
from .models import MemberRegistration


def load_unreported(ev: Evaluation, day: dt.date) -> list[tuple]:
    """Members of the subtree on ``day`` (their branch of that day) with their category, the branch's
    unit kind, the day they arrived there, and whether a registration was in force that day (three
    queries): (member, branch, unit kind, name, category, arrived on, reported)."""
    placed = raw_rows(
        members_on(memberships_of_day(day, ev.prefix), day, "member__")
        .order_by()
        .values_list(
            "member_id",
            "org_id",
            "org__unit_kind",
            "member__name",
            "member__category",
            "started_on",
            "member__joined_on",
        )
    )
    rows = [(m, o, k, n, c, max(s, j) if s and j else (s or j)) for m, o, k, n, c, s, j in placed]
    rows += [
        (m, o, k, n, c, j)
        for m, o, k, n, c, j in raw_rows(
            members_on(members_without_history(ev.prefix), day)
            .order_by()
            .values_list("id", "org_id", "org__unit_kind", "name", "category", "joined_on")
        )
    ]
    in_force = (
        MemberRegistration.objects.filter(member__org_path__startswith=ev.prefix, reported_on__lte=day)
        .exclude(Q(status="declined") & Q(decided_on__lte=day))
        .exclude(ended_on__lte=day)
    )
    reported = {mid for (mid,) in raw_rows(in_force.order_by().values_list("member_id"))}
    out = []
    for m, o, k, n, c, arrived in rows:
        if isinstance(arrived, str):
            arrived = dt.date.fromisoformat(arrived[:10])
        out.append((m, o, k, n, c, arrived, m in reported))
    return sorted(out, key=lambda r: r[0])


def judge_not_reported(ev: Evaluation, day: dt.date, params: RuleParams) -> Iterator[Finding]:
    existing = ev.existing_on(day)
    for mid, org_id, unit_kind, name, category, arrived, reported in ev.fact("participation.unreported", day):
        o = existing.get(org_id)
        if o is None or arrived is None:
            continue
        f = rules.member_not_reported(
            org=o.ref,
            unit_kind=unit_kind,
            member_id=mid,
            name=name,
            category=category,
            arrived_on=arrived,
            reported=reported,
            day=day,
            params=params,
        )
        if f:
            yield f


SPEC = RuleSpec(
    rules.CODE,
    _("在职党员未按时到居住地社区报到"),
    STATE,
    gettext_noop("在职党员到社区报到的地方做法（未见中央文件的具体时限）"),
    {"within_days": 90, "categories": ["employed"], "exempt_unit_kinds": ["community", "village"]},
    enabled=False,
    confidence="U",
    section="10",
    explanation=rules.EXPLANATION,
    message=rules.message,
    judge=judge_not_reported,
    pending=_("%(day)s前向居住地社区报到（%(name)s）"),
    late=_("尽快向居住地社区报到（%(name)s，已逾期）"),
)


def register() -> None:
    register_facts("participation.unreported", load_unreported)
    register_rules("participation", SPEC)
