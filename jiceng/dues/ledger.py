"""The ledger of a set of members over a range of months: what each owed, how it was computed, what
they paid. Loaded in a fixed number of queries (bases, fixed amounts, payments, hardships, the
branches' settings) whatever the number of members, then computed in memory by ``rules``.

The amount due for a month: nothing before the member's first due month (入党日期's month) or after
their membership ended; an approved exemption makes it 0, an approved reduction its reduced amount;
else the amount fixed for the year (年初核定, or its refix after a base change) in force that month;
else, where the year has not been fixed yet, the amount computed now from the base in force that month
with the parameters in force on the month's first day (shown as "未核定").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from jiceng.core.rulebook import RuleBook
from jiceng.members.models import Member

from . import rules
from .models import BranchDuesSetting, FixedAmount, Hardship, IncomeBase, Payment

ZERO = Decimal("0.00")
UNREAD = ("created_at", "updated_at", "recorded_by")  # bookkeeping the ledger never reads


@dataclass
class Line:
    """One member's month."""

    member: Any
    month: dt.date
    owes: bool
    due: Decimal = ZERO
    computed: rules.Amount | None = None
    fixed: FixedAmount | None = None
    payment: Payment | None = None
    hardship: Hardship | None = None
    base: IncomeBase | None = None

    @property
    def paid(self) -> bool:
        return self.payment is not None

    @property
    def exempt(self) -> bool:
        return self.hardship is not None and self.hardship.kind == Hardship.Kind.EXEMPTION

    @property
    def settled(self) -> bool:
        return not self.owes or self.paid or self.exempt

    @property
    def explanation(self) -> str:
        if not self.owes:
            return rules.Amount(ZERO, "none", "").explain()
        if self.hardship is not None:
            return str(self.hardship.get_kind_display()) + "：" + self.hardship.reason
        if self.fixed is not None:
            return self.fixed.explanation
        return self.computed.explain() if self.computed else ""

    @property
    def way(self) -> str:
        if self.fixed is not None:
            return self.fixed.way
        return self.computed.way if self.computed else "none"

    @property
    def bracket(self) -> int | None:
        if self.fixed is not None:
            return self.fixed.bracket
        return self.computed.bracket if self.computed else None


@dataclass
class Ledger:
    months: list[dt.date]
    lines: dict[int, list[Line]] = field(default_factory=dict)  # member id → a line per month

    def of(self, member_id: int) -> list[Line]:
        return self.lines.get(member_id, [])


def base_in_force(bases: Sequence[IncomeBase], month: dt.date) -> IncomeBase | None:
    """The confirmed base applying in ``month`` (bases sorted by applies_from ascending)."""
    found = None
    for b in bases:
        if b.applies_from > month:
            break
        if b.confirmed:
            found = b
    return found


def compute(
    member: Any, month: dt.date, base: IncomeBase | None, farmer: Decimal | None, book: RuleBook
) -> rules.Amount:
    params = book.on(rules.AMOUNT, month).values
    return rules.amount(
        category=member.category,
        base=None if base is None else base.amount,
        params=params,
        farmer_setting=farmer,
    )


def load(
    members: Iterable[Any],
    first: dt.date,
    last: dt.date,
    *,
    book: RuleBook | None = None,
    member_ids: Any = None,
) -> Ledger:
    """The ledger of ``members`` (Member objects) for the months from ``first``'s to ``last``'s.

    ``member_ids``: a queryset of the same members' ids, for a subtree too large to name them in a
    list (the rows are then read by subquery)."""
    members = list(members)
    book = book or RuleBook()
    months = rules.months_between(rules.month_start(first), rules.month_start(last))
    ledger = Ledger(months=months)
    if not members or not months:
        return ledger
    ids = [m.pk for m in members] if member_ids is None else member_ids
    start, end = months[0], months[-1]
    bases: dict[int, list[IncomeBase]] = defaultdict(list)
    # Only the columns the ledger reads: at a county's or province's scale the ORM's per-row work is
    # most of the time (bench/bench_dues.py).
    only_bases = ("member_id", "amount", "applies_from", "confirmed")
    for b in (
        IncomeBase.objects.filter(member_id__in=ids, applies_from__lte=end)
        .only(*only_bases)
        .order_by("applies_from", "id")
    ):
        bases[b.member_id].append(b)
    fixed: dict[int, list[FixedAmount]] = defaultdict(list)
    for f in (
        FixedAmount.objects.filter(
            member_id__in=ids, year__gte=start.year, year__lte=end.year, applies_from__lte=end
        )
        .defer(*UNREAD, "category", "base")
        .order_by("applies_from")
    ):
        fixed[f.member_id].append(f)
    payments = {
        (p.member_id, p.month): p
        for p in Payment.objects.filter(member_id__in=ids, month__gte=start, month__lte=end).defer(
            *UNREAD, "back_payment_reason"
        )
    }
    hardships: dict[int, list[Hardship]] = defaultdict(list)
    for h in Hardship.objects.filter(
        member_id__in=ids, committee_approved_on__isnull=False, from_month__lte=end, until_month__gte=start
    ):
        hardships[h.member_id].append(h)
    farmer = dict(
        BranchDuesSetting.objects.filter(
            org_id__in=Member.objects.filter(id__in=ids).values("org_id")
        ).values_list("org_id", "farmer_amount")
    )
    for m in members:
        out = []
        for month in months:
            line = Line(m, month, rules.owes(month=month, joined_on=m.joined_on, closed_on=m.closed_on))
            line.payment = payments.get((m.pk, month))
            if line.owes:
                line.base = base_in_force(bases[m.pk], month)
                line.hardship = next((h for h in hardships[m.pk] if h.covers(month)), None)
                line.fixed = next(
                    (f for f in reversed(fixed[m.pk]) if f.year == month.year and f.applies_from <= month),
                    None,
                )
                if line.hardship is not None:
                    line.due = ZERO if line.exempt else rules.money(line.hardship.reduced_amount or 0)
                elif line.fixed is not None:
                    line.due = line.fixed.amount
                else:
                    line.computed = compute(m, month, line.base, farmer.get(m.org_id), book)
                    line.due = line.computed.amount
            out.append(line)
        ledger.lines[m.pk] = out
    return ledger
