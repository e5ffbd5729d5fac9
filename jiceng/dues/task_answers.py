"""A dues month closed (党费月度收齐) answers a task (任务督办): registered with core's ``task_record_kinds``.

There is no "close the month" record in the dues app, so a month is **closed** when the records say so:
every member of the branch who owes dues for that month (the ledger's ``owes``: a member from the month
after joining to the month membership ended) has it **settled**, paid (a ``Payment`` for the month) or
exempted (an approved ``Hardship`` of kind exemption); a month in which nobody owes is not a closed
month (there was nothing to collect). The month was closed on its **closing day**: the latest of its
payments' ``paid_on`` and of its exemptions' approval days. A closed month answers a task when its
closing day lies in the task's window (by default from the day issued to the deadline): so the months
closed *after* the task was issued, whichever month they are for (a back payment that completes an old
month closes it on the day it was paid). The record's id is ``yyyymm`` (202611: November 2026); the
branch is the organization the assignment names. Months up to twelve before the window are looked at.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import registry
from jiceng.members.models import Member

from . import ledger, rules

KEY = "dues_month"
LOOK_BACK = 12


@dataclass(frozen=True)
class ClosedMonth:
    pk: int  # yyyymm
    month: dt.date
    closed_on: dt.date
    owing: int
    paid: int
    exempt: int


def closed_months(org: Any, first: dt.date, last: dt.date) -> list[ClosedMonth]:
    """The months from ``first``'s to ``last``'s the branch has closed, with their closing days."""
    first, last = rules.month_start(first), rules.month_start(last)
    members = list(
        Member.objects.filter(org_id=getattr(org, "pk", org), joined_on__lt=rules.add_months(last, 1))
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=first))
        .only("id", "org_id", "category", "joined_on", "closed_on")
    )
    book = ledger.load(members, first, last)
    by_month: dict[dt.date, list[ledger.Line]] = {m: [] for m in book.months}
    for m in members:
        for line in book.of(m.pk):
            if line.owes:
                by_month[line.month].append(line)
    out = []
    for month, lines in by_month.items():
        if not lines or not all(line.settled for line in lines):
            continue
        days = []
        paid = exempt = 0
        for line in lines:
            if line.payment is not None:
                paid += 1
                days.append(line.payment.paid_on)
            else:
                exempt += 1
                days.append(line.hardship.committee_approved_on or line.hardship.branch_decided_on)
        out.append(ClosedMonth(month.year * 100 + month.month, month, max(days), len(lines), paid, exempt))
    return out


def fitting(org: Any, task: Any) -> list[ClosedMonth]:
    """The branch's months closed within the task's window, newest closing first."""
    start, end = task.window_start, task.window_end
    rows = [
        c
        for c in closed_months(org, rules.add_months(rules.month_start(start), -LOOK_BACK), end)
        if start <= c.closed_on <= end
    ]
    return sorted(rows, key=lambda c: (c.closed_on, c.pk), reverse=True)


def describe(record: ClosedMonth) -> str:
    text = _("%(month)s党费收齐（应交%(n)d人：已交%(paid)d人，免交%(exempt)d人；%(day)s收齐）") % {
        "month": f"{record.month:%Y-%m}",
        "n": record.owing,
        "paid": record.paid,
        "exempt": record.exempt,
        "day": f"{record.closed_on:%Y-%m-%d}",
    }
    return text[:300]


def url(org: Any, record_id: int) -> str:
    return (
        reverse("dues:sheet", kwargs={"code": org.code}) + f"?month={record_id // 100}-{record_id % 100:02d}"
    )


def register() -> None:
    registry.task_record_kinds.register(
        registry.TaskRecordKind(
            key=KEY,
            label=gettext_lazy("一个月的党费收齐"),
            find=fitting,
            describe=describe,
            day=lambda r: r.closed_on,
            url=url,
            new_url=lambda org, task: reverse("dues:sheet", kwargs={"code": org.code}),
            new_label=gettext_lazy("去党费收缴"),
            order=30,
        )
    )
