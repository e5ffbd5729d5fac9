"""Every read of the dues ledger, restricted to the user's scope.

A member's dues are seen by whoever may view the member (and by the member); the income bases, which
are personal data, only by the member, the branch's secretary and organization admins (the change
right on the member's branch): viewers see them masked.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404

from jiceng.core import scope
from jiceng.core.models import User
from jiceng.core.periods import Period
from jiceng.core.rulebook import RuleBook
from jiceng.members.models import Member
from jiceng.orgs.models import Organization, OrgKind

from . import ledger, rules
from .models import (
    BranchDuesSetting,
    DuesUse,
    ExtraPayment,
    FixedAmount,
    Hardship,
    IncomeBase,
    Payment,
    PaymentConsent,
)

MASK = "***"


def get_member(user: User, pk: Any) -> Member:
    if not str(pk).isdigit():
        raise Http404
    return get_object_or_404(Member.objects.restrict(user, scope.VIEW).select_related("org"), pk=pk)


def get_branch(user: User, code: str) -> Organization:
    return get_object_or_404(Organization.objects.restrict(user, scope.VIEW), code=code, kind=OrgKind.BRANCH)


def get_org(user: User, code: str) -> Organization:
    return get_object_or_404(Organization.objects.restrict(user, scope.VIEW), code=code)


def can_see_bases(user: User, member: Member) -> bool:
    """The member themselves, their branch's secretary and organization admins above it."""
    return (member.user_id is not None and member.user_id == user.pk) or scope.can(
        user, scope.CHANGE, member.org_path
    )


def bases(user: User, member: Member) -> QuerySet[IncomeBase]:
    return (
        IncomeBase.objects.restrict(user, scope.VIEW).filter(member=member).order_by("-applies_from", "-id")
    )


def payments(user: User) -> QuerySet[Payment]:
    return Payment.objects.restrict(user, scope.VIEW).select_related("member", "recorded_by")


def setting_of(branch: Organization) -> BranchDuesSetting | None:
    return BranchDuesSetting.objects.filter(org=branch).first()


def masked_explanation(line: ledger.Line) -> str:
    """How an amount was computed, without the base (for those who may not see bases)."""
    if line.way == "bracket" and line.bracket:
        rate = line.fixed.rate if line.fixed is not None else (line.computed.rate if line.computed else None)
        return f"{MASK} × {(rate or 0) * 100}%（第{line.bracket}档）"
    return line.explanation


@dataclass
class SheetRow:
    member: Member
    line: ledger.Line
    explanation: str


def month_sheet(user: User, branch: Organization, month: dt.date) -> list[SheetRow]:
    """Every member of the branch who owes dues for ``month`` (or paid it), with the amount due and
    the payment: the secretary's month sheet."""
    members = list(
        Member.objects.filter(org=branch)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=month))
        .order_by("name_pinyin", "id")
    )
    book = ledger.load(members, month, month)
    out = []
    for m in members:
        line = book.of(m.pk)[0]
        if not line.owes and line.payment is None:
            continue
        explanation = line.explanation if can_see_bases(user, m) else masked_explanation(line)
        out.append(SheetRow(m, line, explanation))
    return out


def member_ledger(member: Member, year: int, today: dt.date) -> list[ledger.Line]:
    last = min(dt.date(year, 12, 1), rules.month_start(today)) if year == today.year else dt.date(year, 12, 1)
    return [
        line
        for line in ledger.load([member], dt.date(year, 1, 1), last).of(member.pk)
        if line.owes or line.paid
    ]


def member_records(member: Member) -> dict[str, Any]:
    return {
        "extras": list(ExtraPayment.objects.filter(member=member).order_by("-paid_on", "-id")[:50]),
        "hardships": list(Hardship.objects.filter(member=member).order_by("-from_month", "-id")[:50]),
        "consents": list(PaymentConsent.objects.filter(member=member).order_by("-decided_on", "-id")[:50]),
        "fixed": list(FixedAmount.objects.filter(member=member).order_by("-applies_from")[:24]),
    }


# The report of a subtree -----------------------------------------------------------------------------------


@dataclass
class Figures:
    due: Decimal = Decimal("0.00")
    collected: Decimal = Decimal("0.00")
    arrears: Decimal = Decimal("0.00")
    arrears_members: int = 0
    extra: Decimal = Decimal("0.00")
    remitted: Decimal = Decimal("0.00")
    # What the subtree's organizations recorded as remitted to the next level up (DuesUse, 上缴).
    remitted_up: Decimal = Decimal("0.00")
    # The members in arrears, while computing from the ledger (a member counts once over the period).
    ids: set[int] | None = field(default=None, repr=False, compare=False)

    @property
    def rate(self) -> Decimal | None:
        """Collected over due, in percent (None when nothing was due)."""
        if not self.due:
            return None
        return (self.collected / self.due * 100).quantize(Decimal("0.1"))

    def add(self, other: Figures) -> None:
        self.due += other.due
        self.collected += other.collected
        self.arrears += other.arrears
        self.arrears_members += other.arrears_members
        if other.ids:
            if self.ids is None:
                self.ids = set()
            self.ids |= other.ids
        self.extra += other.extra
        self.remitted += other.remitted
        self.remitted_up += other.remitted_up

    def as_json(self) -> dict[str, Any]:
        return {
            "due": str(self.due),
            "collected": str(self.collected),
            "rate": None if self.rate is None else str(self.rate),
            "arrears": str(self.arrears),
            "arrears_members": self.arrears_members,
            "extra": str(self.extra),
            "remitted": str(self.remitted),
            "remitted_up": str(self.remitted_up),
        }


@dataclass
class Report:
    org: Organization
    period: Period
    total: Figures
    by_child: list[tuple[Organization, Figures]]
    by_month: list[tuple[dt.date, Figures]]
    source: str = "figures"  # "figures": read from the maintained figures; "ledger": computed

    def as_json(self) -> dict[str, Any]:
        return {
            "org_code": self.org.code,
            "period": self.period.label,
            "total": self.total.as_json(),
            "by_org": [{"org_code": o.code, "org_name": o.name, **f.as_json()} for o, f in self.by_child],
            "by_month": [{"month": m.strftime("%Y-%m"), **f.as_json()} for m, f in self.by_month],
        }


def _children(org: Organization) -> list[Organization]:
    return list(Organization.objects.filter(path__startswith=org.path, depth=org.depth + 1).order_by("path"))


def _add_remitted_up(
    org: Organization,
    period: Period,
    total: Figures,
    by_child: dict[int, Figures],
    by_month: dict[dt.date, Figures],
    children: list[Organization],
) -> None:
    """Add what the subtree's organizations (``org`` included) recorded as remitted to the next level
    up (``DuesUse`` of kind 上缴) in the period, by the day it was remitted: one grouped query (such
    records are a few per organization and year, so no maintained figure is needed)."""
    steplen = Organization.steplen
    cut = (org.depth + 1) * steplen
    child_of = {c.path: c for c in children}
    rows = (
        DuesUse.objects.filter(
            org__path__startswith=org.path,
            kind=DuesUse.Kind.REMIT,
            used_on__gte=period.start,
            used_on__lte=period.end,
        )
        .values_list("org__path", "used_on")
        .annotate(s=Sum("amount"))
        .order_by()
    )
    for path, used_on, amount in rows:
        child = child_of.get(path[:cut]) if len(path) >= cut else None
        targets = [total] + ([by_child[child.pk]] if child is not None else [])
        month = by_month.get(rules.month_start(used_on))
        if month is not None:
            targets.append(month)
        for f in targets:
            f.remitted_up += amount


def report(org: Organization, period: Period, *, today: dt.date, by_child: bool = True) -> Report:
    """Due, collected, collection rate, arrears (due in months that have ended, unpaid, from the
    branch's dues records on), extra payments and what was remitted to the Centre, for ``org``'s
    subtree, in total, by child organization (unless ``by_child`` is False) and by month.

    Read from the maintained figures (``figures.py``), summed over the subtree by path. When too many
    of the subtree's branch-months are stale or missing to recompute on read, computed from the ledger
    (``ledger_report``, equal by test) and a rebuild of the stale figures is queued."""
    from . import figures

    months = rules.months_between(period.start.replace(day=1), period.end.replace(day=1))
    children = _children(org) if by_child else []
    rows = figures.subtree_rows(org, children, months)
    if rows is None:
        figures.queue_rebuild(org.path, months[0].year)
        return ledger_report(org, period, today=today)
    ended = rules.month_start(today)
    # Over a quarter or a year a member in arrears in several months counts once: the rows count each
    # member in the first month of arrears of its quarter and of its year.
    first_of = "arrears_new_quarter" if period.kind == "quarter" else "arrears_new_year"

    def figures_of(row: dict[str, Any], month: dt.date, *, over_period: bool) -> Figures:
        f = Figures(due=row["due"], collected=row["collected"], extra=row["extra"], remitted=row["remitted"])
        if month < ended:
            f.arrears = row["arrears"]
            f.arrears_members = row[first_of if over_period else "arrears_members"]
        return f

    total = Figures()
    by_month: dict[dt.date, Figures] = {}
    for m in months:
        row = rows[org.pk, m]
        by_month[m] = figures_of(row, m, over_period=False)
        total.add(figures_of(row, m, over_period=period.kind != "month"))
    by_org: dict[int, Figures] = {}
    for c in children:
        f = by_org[c.pk] = Figures()
        for m in months:
            f.add(figures_of(rows[c.pk, m], m, over_period=period.kind != "month"))
    _add_remitted_up(org, period, total, by_org, by_month, children)
    return Report(
        org, period, total, [(c, by_org[c.pk]) for c in children], sorted(by_month.items()), source="figures"
    )


def ledger_report(org: Organization, period: Period, *, today: dt.date) -> Report:
    """The report computed from the ledger of every member of the subtree (``ledger.bulk``): what the
    maintained figures must equal, and the report while they are being rebuilt. A payment counts for a
    month the member owes dues (as in the figures)."""
    first, last = period.start.replace(day=1), period.end.replace(day=1)
    in_report = Member.objects.filter(org_path__prefix=org.path, joined_on__lte=period.end).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gte=first)
    )
    since = dict(
        BranchDuesSetting.objects.filter(org__path__startswith=org.path).values_list(
            "org_id", "records_since"
        )
    )
    data = ledger.bulk(in_report, first, last, book=RuleBook())
    steplen = Organization.steplen
    children = _children(org)
    child_of = {c.path: c for c in children}
    cut = (org.depth + 1) * steplen
    ended = rules.month_start(today)
    months = data.months
    # One cell per (child organization, month), summed into the total, the children and the months.
    cells: dict[tuple[int | None, int], Figures] = {}
    paid, exempt = data.paid, data.exempt
    for mid, org_id, path, *_rest in data.members:
        child = child_of.get(path[:cut])
        key = child.pk if child is not None else None
        start = since.get(org_id)
        for i, due in enumerate(data.due[mid]):
            if due is None:
                continue
            month = months[i]
            amount = paid.get((mid, month))
            cell = cells.get((key, i))
            if cell is None:
                cell = cells[key, i] = Figures(ids=set())
            cell.due += due
            if amount is not None:
                cell.collected += amount
            elif month < ended and start is not None and month >= start and (mid, month) not in exempt:
                cell.arrears += due
                cell.ids.add(mid)
    total = Figures()
    by_child: dict[int, Figures] = defaultdict(Figures)
    by_month: dict[dt.date, Figures] = {m: Figures() for m in months}
    for (key, i), cell in cells.items():
        for f in [total, by_month[months[i]]] + ([by_child[key]] if key is not None else []):
            f.add(cell)
    for f in [total, *by_child.values(), *by_month.values()]:
        f.arrears_members = len(f.ids or ())
        f.ids = None
    extras = ExtraPayment.objects.filter(
        member__org_path__prefix=org.path, paid_on__gte=period.start, paid_on__lte=period.end
    ).values_list("member__org_path", "paid_on", "amount", "remitted_to_centre")
    for path, paid_on, amount, remitted in extras:
        child = child_of.get(path[:cut])
        targets = [total, by_month[rules.month_start(paid_on)]] + ([by_child[child.pk]] if child else [])
        for f in targets:
            f.extra += amount
            if remitted:
                f.remitted += amount
    _add_remitted_up(org, period, total, by_child, by_month, children)
    return Report(
        org,
        period,
        total,
        [(c, by_child.get(c.pk, Figures())) for c in children],
        sorted(by_month.items()),
        source="ledger",
    )


def report_chart(r: Report) -> dict[str, Any]:
    """An ECharts option: due and collected by month, and the collection rate."""
    from django.utils.translation import gettext as _

    months = [m.strftime("%Y-%m") for m, _f in r.by_month]
    return {
        "title": {"text": _("党费收缴情况"), "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 48, "right": 48, "top": 40, "bottom": 48},
        "xAxis": {"type": "category", "data": months},
        "yAxis": [{"type": "value", "name": _("元")}, {"type": "value", "name": "%", "max": 100}],
        "series": [
            {"name": _("应交"), "type": "bar", "data": [float(f.due) for _m, f in r.by_month]},
            {"name": _("实交"), "type": "bar", "data": [float(f.collected) for _m, f in r.by_month]},
            {
                "name": _("收缴率"),
                "type": "line",
                "yAxisIndex": 1,
                "data": [None if f.rate is None else float(f.rate) for _m, f in r.by_month],
            },
        ],
    }


def total_collected(org: Organization) -> Decimal:
    return Payment.objects.filter(member__org_path__prefix=org.path).aggregate(s=Sum("amount"))[
        "s"
    ] or Decimal("0")


def collection_by_org(
    *, paths: list[str], start: dt.date, end: dt.date
) -> dict[str, tuple[Decimal, Decimal]]:
    """(collected, owed) of each subtree for the months from ``start``'s to ``end``'s, counted from each
    branch's 党费记录起始月份 (a branch that keeps no dues in jiceng owes nothing here): the dues indicator
    of the assessment app (``assessment.builtin.dues_collected``) reads this. Set-based: the members
    under the paths' common ancestor are read once, by one ``ledger.bulk`` (a fixed number of queries
    whatever the number of paths), and each member's month is added to every path above it."""
    first, last = rules.month_start(start), rules.month_start(end)
    wanted = set(paths[:100000])
    out: dict[str, tuple[Decimal, Decimal]] = {p: (Decimal("0.00"), Decimal("0.00")) for p in wanted}
    if not wanted:
        return out
    steplen = Organization.steplen
    common = os.path.commonprefix(sorted(wanted))
    common = common[: len(common) - len(common) % steplen]
    in_scope = Member.objects.filter(
        org_path__startswith=common,
        joined_on__lt=rules.add_months(last, 1),
        org__dues_setting__records_since__lte=last,
    ).filter(Q(closed_on__isnull=True) | Q(closed_on__gte=first))
    since = dict(
        BranchDuesSetting.objects.filter(org__path__startswith=common).values_list("org_id", "records_since")
    )
    data = ledger.bulk(in_scope, first, last, book=RuleBook())
    by_path: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal("0.00"), Decimal("0.00")])
    for mid, org_id, org_path, *_rest in data.members:
        begin = since.get(org_id)
        if begin is None:
            continue
        row = by_path[org_path]
        for month, due in zip(data.months, data.due[mid], strict=True):
            if due is None or month < begin:
                continue
            row[1] += due
            amount = data.paid.get((mid, month))
            if amount is not None:
                row[0] += amount
    for org_path, (collected, owed) in by_path.items():
        for cut in range(steplen, len(org_path) + 1, steplen):
            prefix = org_path[:cut]
            if prefix in wanted:
                c, o = out[prefix]
                out[prefix] = (c + collected, o + owed)
    return out


# The yearly publication of collection and use (党费收缴使用情况年度公示) -------------------------------------


@dataclass
class Publication:
    """A subtree's year for publication: figures and counts only, never a person's name.

    ``figures``: due, collected, rate (and extra, remitted to the Centre) as in the report of the year;
    ``extra_count``/``remitted_count``: voluntary extra payments, and those of 1,000 yuan or more
    remitted whole to the Centre; ``remitted_up``: what ``org`` itself recorded as remitted to the next
    level up; ``reductions``/``exemptions``: members with an approved reduction or exemption covering a
    month of the year; ``uses``: the uses recorded in the subtree that year, each with its organization."""

    org: Organization
    year: int
    figures: Figures
    extra_count: int
    remitted_count: int
    remitted_up: Decimal
    reductions: int
    exemptions: int
    uses: list[DuesUse]

    @property
    def used_total(self) -> Decimal:
        return sum((u.amount for u in self.uses), start=Decimal("0.00"))

    def as_json(self) -> dict[str, Any]:
        f = self.figures
        return {
            "org_code": self.org.code,
            "org_name": self.org.name,
            "year": self.year,
            "due": str(f.due),
            "collected": str(f.collected),
            "rate": None if f.rate is None else str(f.rate),
            "extra": str(f.extra),
            "extra_count": self.extra_count,
            "remitted_to_centre": str(f.remitted),
            "remitted_to_centre_count": self.remitted_count,
            "remitted_up": str(self.remitted_up),
            "reductions": self.reductions,
            "exemptions": self.exemptions,
            "used_total": str(self.used_total),
            "uses": [
                {
                    "org_code": u.org.code,
                    "org_name": u.org.name,
                    "used_on": u.used_on.isoformat(),
                    "purpose": u.purpose,
                    "amount": str(u.amount),
                    "decision": u.decision,
                }
                for u in self.uses
            ],
        }


MAX_USES = 2000


def publication(org: Organization, year: int, *, today: dt.date) -> Publication:
    """党费收缴使用情况年度公示 of ``org``'s subtree for ``year``."""
    from jiceng.core.periods import parse

    r = report(org, parse(str(year)), today=today)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    extras = ExtraPayment.objects.filter(
        member__org_path__prefix=org.path, paid_on__gte=start, paid_on__lte=end
    ).aggregate(n=Count("id"), whole=Count("id", filter=Q(remitted_to_centre=True)))
    hardship = dict(
        Hardship.objects.filter(
            member__org_path__prefix=org.path,
            committee_approved_on__isnull=False,
            from_month__lte=dt.date(year, 12, 1),
            until_month__gte=start,
        )
        .values("kind")
        .annotate(n=Count("member_id", distinct=True))
        .values_list("kind", "n")
    )
    in_year = DuesUse.objects.filter(used_on__gte=start, used_on__lte=end)
    remitted_up = in_year.filter(org=org, kind=DuesUse.Kind.REMIT).aggregate(s=Sum("amount"))["s"]
    uses = list(
        in_year.filter(org__path__startswith=org.path, kind=DuesUse.Kind.USE)
        .select_related("org")
        .order_by("used_on", "id")[:MAX_USES]
    )
    return Publication(
        org=org,
        year=year,
        figures=r.total,
        extra_count=extras["n"],
        remitted_count=extras["whole"],
        remitted_up=remitted_up or Decimal("0.00"),
        reductions=hardship.get(Hardship.Kind.REDUCTION, 0),
        exemptions=hardship.get(Hardship.Kind.EXEMPTION, 0),
        uses=uses,
    )
