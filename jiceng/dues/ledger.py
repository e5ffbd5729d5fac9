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


# The bulk path: many members, figures only -------------------------------------------------------------

MEMBER_COLUMNS = ("id", "org_id", "org_path", "category", "joined_on", "closed_on")


@dataclass
class Bulk:
    """Every member's amount due by month, with what was paid, as plain values (no model objects).

    ``members``: tuples of ``MEMBER_COLUMNS``; ``due[member id]``: per month of ``months`` the amount
    due, or ``None`` where the member owes nothing that month; ``paid[(member id, month)]``: the amount
    paid; ``exempt``: the (member id, month) pairs under an approved exemption."""

    months: list[dt.date]
    members: list[tuple[Any, ...]] = field(default_factory=list)
    due: dict[int, list[Decimal | None]] = field(default_factory=dict)
    paid: dict[tuple[int, dt.date], Decimal] = field(default_factory=dict)
    exempt: set[tuple[int, dt.date]] = field(default_factory=set)

    def settled(self, member_id: int, index: int) -> bool:
        month = self.months[index]
        return (
            self.due[member_id][index] is None
            or (member_id, month) in self.paid
            or (member_id, month) in self.exempt
        )


def _latest_bases(ids: Any, start: dt.date) -> Any:
    """(member id, applies_from, amount) of each member's confirmed base in force at ``start``: one
    query, DISTINCT ON where the database has it (PostgreSQL), else a window function (SQLite)."""
    from django.db import connection
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    rows = IncomeBase.objects.filter(member_id__in=ids, confirmed=True, applies_from__lte=start)
    if connection.features.can_distinct_on_fields:
        rows = rows.order_by("member_id", "-applies_from", "-id").distinct("member_id")
    else:
        rows = rows.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("member_id")],
                order_by=[F("applies_from").desc(), F("id").desc()],
            )
        ).filter(rank=1)
    return rows.values_list("member_id", "applies_from", "amount")


def bulk(members: Any, first: dt.date, last: dt.date, *, book: RuleBook | None = None) -> Bulk:
    """The amounts due of the members of the queryset ``members`` for the months from ``first``'s to
    ``last``'s, and their payments, exactly as ``load`` computes them (tested), in six queries of plain
    tuples: the members, the base in force at the first month (one per member) and those applying
    later in the range, the fixed amounts, the payments, the approved hardships, the branches' settings.
    The amounts are computed with ``rules.amount_function`` per month's parameters."""
    book = book or RuleBook()
    months = rules.months_between(rules.month_start(first), rules.month_start(last))
    out = Bulk(months=months)
    if not months:
        return out
    start, end = months[0], months[-1]
    out.members = list(members.order_by().values_list(*MEMBER_COLUMNS))
    if not out.members:
        return out
    ids = members.order_by().values("id")
    bases: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for mid, applies_from, amount in _latest_bases(ids, start):
        bases[mid].append((applies_from, amount))
    for mid, applies_from, amount in (
        IncomeBase.objects.filter(
            member_id__in=ids, confirmed=True, applies_from__gt=start, applies_from__lte=end
        )
        .order_by("applies_from", "id")
        .values_list("member_id", "applies_from", "amount")
    ):
        bases[mid].append((applies_from, amount))
    fixed: dict[int, list[tuple[int, dt.date, Decimal]]] = defaultdict(list)
    for mid, year, applies_from, amount in (
        FixedAmount.objects.filter(
            member_id__in=ids, year__gte=start.year, year__lte=end.year, applies_from__lte=end
        )
        .order_by("applies_from")
        .values_list("member_id", "year", "applies_from", "amount")
    ):
        fixed[mid].append((year, applies_from, amount))
    out.paid = {
        (mid, month): amount
        for mid, month, amount in Payment.objects.filter(
            member_id__in=ids, month__gte=start, month__lte=end
        ).values_list("member_id", "month", "amount")
    }
    hardships: dict[int, list[tuple[str, dt.date, dt.date, Decimal | None]]] = defaultdict(list)
    for mid, kind, since, until, reduced in (
        Hardship.objects.filter(
            member_id__in=ids,
            committee_approved_on__isnull=False,
            from_month__lte=end,
            until_month__gte=start,
        )
        .order_by("member_id", "-from_month")
        .values_list("member_id", "kind", "from_month", "until_month", "reduced_amount")
    ):
        hardships[mid].append((kind, since, until, reduced))
    farmer = dict(
        BranchDuesSetting.objects.filter(org_id__in=members.order_by().values("org_id")).values_list(
            "org_id", "farmer_amount"
        )
    )
    functions, compiled = {}, {}
    for month in months:
        version = book.on(rules.AMOUNT, month)  # one function per rule version in force
        if version.effective_from not in compiled:
            compiled[version.effective_from] = rules.amount_function(version.values)
        functions[month] = compiled[version.effective_from]
    exemption = Hardship.Kind.EXEMPTION
    no_base: list[tuple[dt.date, Decimal]] = []
    for mid, org_id, _path, category, joined_on, closed_on in out.members:
        begin = rules.first_due_month(joined_on)
        member_bases = bases.get(mid, no_base)
        member_fixed = fixed.get(mid, ())
        member_hardships = hardships.get(mid)
        row: list[Decimal | None] = []
        for month in months:
            if month < begin or (closed_on is not None and closed_on < month):
                row.append(None)
                continue
            if member_hardships:
                h = next((h for h in member_hardships if h[1] <= month <= h[2]), None)
                if h is not None:
                    if h[0] == exemption:
                        out.exempt.add((mid, month))
                        row.append(ZERO)
                    else:
                        row.append(rules.money(h[3] or 0))
                    continue
            amount = None
            for year, applies_from, value in reversed(member_fixed):
                if year == month.year and applies_from <= month:
                    amount = value
                    break
            if amount is None:
                base = None
                for applies_from, value in member_bases:
                    if applies_from > month:
                        break
                    base = value
                amount = functions[month](category, base, farmer.get(org_id))
            row.append(amount)
        out.due[mid] = row
    return out
