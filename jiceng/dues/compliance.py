"""The dues rules as this app declares them to the compliance engine (RULES.md §5).

- ``member.dues_unpaid_6_months`` (state): a member whose last 6 ended months are all unpaid, without
  an approved exemption;
- ``dues.unpaid_month`` (monthly, per branch): the members of the branch who have not paid a month once
  it has ended (RULES.md names no code for it; this is the app's own);
- ``dues.amount``, ``dues.back_payment``, ``dues.remit_to_centre`` (steps, not judged by the engine):
  the parameters of the amounts and of payments, with effective dates, read by ``rules`` through the
  rule book and shown in the rule catalogue.

Only branches that keep their dues in jiceng are judged, from their 党费记录起始月份
(``BranchDuesSetting.records_since``) on. A month has ended at the end of its last day: judged on 30 June, June counts. Each member is judged in
their current branch (their dues records follow them when they move); months before their first due
month (入党日期) or after their membership ended are owed by no one.

The facts are loaded once per evaluation for the whole window the plan needs (three queries: members,
payments, approved exemptions; one when no branch of the subtree keeps its dues here), whatever the
size of the subtree or the number of months.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any, NamedTuple

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from jiceng.core.compliance import Evaluation, Finding, fmt_day, fmt_period, make_finding, raw_rows
from jiceng.core.rulebook import MONTH, STATE, STEP, RuleParams, RuleSpec, register_facts, register_rules
from jiceng.members.models import Member

from . import rules
from .models import Hardship, Payment


class DuesFacts(NamedTuple):
    members: list[tuple]  # (id, org id, name, first day owed, closed_on): branches keeping dues only
    settled: dict[int, set[dt.date]]  # member id → months paid or exempted


def _window(ev: Evaluation, months_back: int) -> tuple[dt.date, dt.date]:
    days = [*ev.plan.state_days]
    window = ev.window()
    if window is not None:
        days += list(window)
    first = rules.add_months(rules.month_start(min(days)), -months_back)
    return first, rules.month_start(max(days))


def load_ledger(ev: Evaluation, first: dt.date, last: dt.date) -> DuesFacts:
    """Members of the subtree (by current branch) and the months from ``first`` to ``last`` each has
    settled: three queries."""
    in_subtree = Member.objects.filter(org_path__prefix=ev.prefix)
    members = raw_rows(
        in_subtree.filter(joined_on__lt=rules.add_months(last, 1), org__dues_setting__records_since__lte=last)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=first))
        .order_by("org_path", "id")
        .values_list("id", "org_id", "name", "joined_on", "closed_on", "org__dues_setting__records_since")
    )
    settled: dict[int, set[dt.date]] = defaultdict(set)
    if not members:  # no branch of the subtree keeps its dues here: nothing more to read
        return DuesFacts([], {})
    ids = in_subtree.values("id")
    for mid, month in Payment.objects.filter(
        member_id__in=ids, month__gte=first, month__lte=last
    ).values_list("member_id", "month"):
        settled[mid].add(month)
    for mid, since, until in Hardship.objects.filter(
        member_id__in=ids,
        kind=Hardship.Kind.EXEMPTION,
        committee_approved_on__isnull=False,
        from_month__lte=last,
        until_month__gte=first,
    ).values_list("member_id", "from_month", "until_month"):
        settled[mid].update(m for m in rules.months_between(max(since, first), min(until, last)))
    out = []
    for mid, org_id, name, joined, closed, since in members:
        # Months before the branch's dues records begin are owed by no one here: judged as if the
        # member joined then.
        joined = max(_date(joined), _date(since))
        closed = _date(closed) if closed is not None else None
        out.append((mid, org_id, name, joined, closed))
    return DuesFacts(out, dict(settled))


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _facts(ev: Evaluation) -> DuesFacts:
    first, last = _window(ev, 12)
    return ev.fact("dues.ledger", first, last)


def ended_months(day: dt.date) -> dt.date:
    """The last month that has ended on ``day`` (the month of ``day`` itself if it is its last day)."""
    tomorrow = day + dt.timedelta(days=1)
    return rules.add_months(rules.month_start(tomorrow), -1)


def judge_unpaid_6_months(ev: Evaluation, day: dt.date, params: RuleParams) -> Iterator[Finding]:
    facts = _facts(ev)
    existing = ev.existing_on(day)
    n = int(params["months"])
    last = ended_months(day)
    window = rules.months_between(rules.add_months(last, -(n - 1)), last)
    for mid, org_id, name, joined, closed in facts.members:
        o = existing.get(org_id)
        if o is None:
            continue
        f = unpaid_6_months(
            org=o.ref,
            member_id=mid,
            name=name,
            day=day,
            window=window,
            joined_on=joined,
            closed_on=closed,
            settled=facts.settled.get(mid, set()),
            params=params,
        )
        if f:
            yield f


def unpaid_6_months(
    *,
    org: Any,
    member_id: int,
    name: str,
    day: dt.date,
    window: list[dt.date],
    joined_on: dt.date,
    closed_on: dt.date | None,
    settled: set[dt.date],
    params: RuleParams,
) -> Finding | None:
    """Every month of ``window`` (the last ``months`` ended months) owed and not settled."""
    if not params.enabled or not window:
        return None
    if not all(rules.owes(month=m, joined_on=joined_on, closed_on=closed_on) for m in window):
        return None
    missing = rules.unpaid_run(months=window, settled=settled)
    if len(missing) < len(window):
        return None
    return make_finding(
        params,
        org,
        day.isoformat(),
        {"name": name, "day": day, "months": [m.strftime("%Y-%m") for m in missing], "count": len(missing)},
        member=member_id,
        member_name=name,
    )


def judge_unpaid_month(ev: Evaluation, period: Any, params: RuleParams) -> Iterator[Finding]:
    facts = _facts(ev)
    month = period.start
    existing = ev.existing_on(period.end)
    by_org: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for mid, org_id, name, joined, closed in facts.members:
        if rules.owes(month=month, joined_on=joined, closed_on=closed) and month not in facts.settled.get(
            mid, ()
        ):
            by_org[org_id].append((mid, name))
    for org_id, unpaid in by_org.items():
        o = existing.get(org_id)
        if o is None or o.kind != "branch":
            continue
        yield make_finding(
            params,
            o.ref,
            period.label,
            {
                "month": period.label,
                "count": len(unpaid),
                "names": [n for _mid, n in unpaid[:20]],
                "member_ids": [mid for mid, _n in unpaid],
            },
            due_on=period.end,
        )


def _message_6(f: dict) -> str:
    return _("%(name)s截至%(day)s已连续%(count)s个月未交纳党费（%(months)s）") % {
        "name": f["name"],
        "day": fmt_day(f["day"]),
        "count": f["count"],
        "months": "、".join(fmt_period(m) for m in f["months"]),
    }


def _message_month(f: dict) -> str:
    names = "、".join(f["names"])
    if f["count"] > len(f["names"]):
        names += _("等")
    return ngettext(
        "%(month)s结束后，%(count)s名党员仍未交纳该月党费：%(names)s",
        "%(month)s结束后，%(count)s名党员仍未交纳该月党费：%(names)s",
        f["count"],
    ) % {"month": fmt_period(f["month"]), "count": f["count"], "names": names}


def _fix_month(f: Finding, today: dt.date) -> str | None:
    return reverse("dues:sheet", kwargs={"code": f.org_code}) + f"?month={f.period}"


def _fix_member(f: Finding, today: dt.date) -> str | None:
    return reverse("dues:member", kwargs={"pk": f.member}) if f.member else None


SPECS = (
    RuleSpec(
        rules.UNPAID_6_MONTHS,
        gettext_lazy("连续6个月未交纳党费"),
        STATE,
        gettext_noop("关于中国共产党党费收缴、使用和管理的规定（2008）第十三条；中国共产党章程第九条"),
        {"months": 6},
        section="3",
        judge=judge_unpaid_6_months,
        reaches_back=lambda params, day: rules.add_months(ended_months(day), -(int(params["months"]) - 1)),
        message=_message_6,
        explanation=rules.EXPLANATIONS[rules.UNPAID_6_MONTHS],
        fix=_fix_member,
    ),
    RuleSpec(
        rules.UNPAID_MONTH,
        gettext_lazy("月份结束后仍有党员未交纳党费"),
        MONTH,
        gettext_noop("关于中国共产党党费收缴、使用和管理的规定（2008）第十二条"),
        {},
        section="5",
        judge=judge_unpaid_month,
        message=_message_month,
        explanation=rules.EXPLANATIONS[rules.UNPAID_MONTH],
        fix=_fix_month,
        pending=gettext_lazy("%(day)s前收齐%(period)s党费"),
    ),
    RuleSpec(
        rules.AMOUNT,
        gettext_lazy("党费交纳标准"),
        STEP,
        rules.AMOUNT_CITATION,
        rules.AMOUNT_DEFAULTS,
        section="5",
        explanation=rules.EXPLANATIONS[rules.AMOUNT],
    ),
    RuleSpec(
        rules.BACK_PAYMENT,
        gettext_lazy("补交党费不超过6个月"),
        STEP,
        rules.BACK_PAYMENT_CITATION,
        rules.BACK_PAYMENT_DEFAULTS,
        section="5",
        explanation=rules.EXPLANATIONS[rules.BACK_PAYMENT],
    ),
    RuleSpec(
        rules.REMIT,
        gettext_lazy("一次多交1000元以上全部上缴中央"),
        STEP,
        rules.REMIT_CITATION,
        rules.REMIT_DEFAULTS,
        section="5",
        explanation=rules.EXPLANATIONS[rules.REMIT],
    ),
)


def register() -> None:
    register_facts("dues.ledger", load_ledger)
    register_rules("dues", *SPECS)
