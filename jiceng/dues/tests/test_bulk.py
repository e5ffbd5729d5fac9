"""The ledger's bulk path (``ledger.bulk``, plain values in a fixed number of queries) gives exactly what
``ledger.load`` gives, and the report built on it equals the report built on ``load`` (the reference
below is the report as it was written over ``load``), after random writes (hypothesis)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.core.periods import parse
from jiceng.core.rulebook import RuleBook
from jiceng.dues import ledger, rules, selectors
from jiceng.dues.models import BranchDuesSetting, ExtraPayment, FixedAmount, Hardship, IncomeBase, Payment
from jiceng.members.models import Member
from jiceng.orgs.models import Organization

D = Decimal
MONTHS = rules.months_between(dt.date(2024, 10, 1), dt.date(2026, 6, 1))
TODAY = dt.date(2026, 4, 15)

month = st.sampled_from(MONTHS)
money = st.decimals(min_value=0, max_value=20000, places=2, allow_nan=False, allow_infinity=False)
writes = st.lists(
    st.one_of(
        st.tuples(st.just("base"), st.integers(0, 9), month, money, st.booleans()),
        st.tuples(st.just("fixed"), st.integers(0, 9), month, money, st.none()),
        st.tuples(st.just("pay"), st.integers(0, 9), month, money, st.none()),
        st.tuples(st.just("hardship"), st.integers(0, 9), month, money, st.booleans()),
        st.tuples(
            st.just("extra"), st.integers(0, 9), month, st.sampled_from([D("50"), D("1000")]), st.none()
        ),
        st.tuples(
            st.just("category"),
            st.integers(0, 9),
            month,
            st.sampled_from(["employed", "retired", "farmer", "student", "other"]),
            st.none(),
        ),
        st.tuples(st.just("close"), st.integers(0, 9), month, st.none(), st.none()),
        st.tuples(
            st.just("setting"), st.integers(0, 3), month, st.sampled_from([D("0.2"), D("1")]), st.none()
        ),
    ),
    max_size=30,
)


def apply(world: Any, ops: list[tuple]) -> None:
    members = list(Member.objects.order_by("id"))
    branches = [world.branch_a, world.branch_b, world.branch_c, world.general]
    for kind, i, m, value, flag in ops:
        member = members[i % len(members)]
        if kind == "base":
            IncomeBase.objects.update_or_create(
                member=member, applies_from=m, defaults={"amount": value, "confirmed": flag}
            )
        elif kind == "fixed":
            FixedAmount.objects.update_or_create(
                member=member,
                applies_from=m,
                defaults={
                    "year": m.year,
                    "amount": value,
                    "category": "employed",
                    "way": "bracket",
                    "explanation": "x",
                },
            )
        elif kind == "pay":
            Payment.objects.update_or_create(member=member, month=m, defaults={"amount": value, "paid_on": m})
        elif kind == "hardship":
            Hardship.objects.create(
                member=member,
                kind="exemption" if value > 10000 else "reduction",
                from_month=m,
                until_month=rules.add_months(m, int(value) % 5),
                reduced_amount=value / 100,
                reason="困难",
                branch_decided_on=m,
                committee_approved_on=m if flag else None,
            )
        elif kind == "extra":
            ExtraPayment.objects.create(
                member=member, amount=value, paid_on=m, remitted_to_centre=value >= 1000
            )
        elif kind == "category":
            Member.objects.filter(pk=member.pk).update(category=value)
        elif kind == "close":
            Member.objects.filter(pk=member.pk).update(closed_on=m + dt.timedelta(days=3))
        else:
            BranchDuesSetting.objects.update_or_create(
                org=branches[i], defaults={"farmer_amount": value, "records_since": m}
            )


def reference_report(org: Organization, period: Any, *, today: dt.date) -> selectors.Report:
    """The report over ``ledger.load`` (model objects), as it was before ``ledger.bulk``."""
    first, last = period.start.replace(day=1), period.end.replace(day=1)
    in_report = Member.objects.filter(org_path__prefix=org.path, joined_on__lte=period.end).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gte=first)
    )
    members = list(in_report)
    since = dict(
        BranchDuesSetting.objects.filter(org__path__startswith=org.path).values_list(
            "org_id", "records_since"
        )
    )
    book = ledger.load(members, first, last, book=RuleBook())
    children = list(
        Organization.objects.filter(path__startswith=org.path, depth=org.depth + 1).order_by("path")
    )
    child_of = {c.path: c for c in children}
    total = selectors.Figures(ids=set())
    by_child: dict[int, selectors.Figures] = defaultdict(lambda: selectors.Figures(ids=set()))
    by_month = {m: selectors.Figures(ids=set()) for m in book.months}
    ended = rules.month_start(today)
    for m in members:
        child = child_of.get(m.org_path[: (org.depth + 1) * Organization.steplen])
        start = since.get(m.org_id)
        for line in book.of(m.pk):
            for f in [total, by_month[line.month]] + ([by_child[child.pk]] if child else []):
                if line.owes:
                    f.due += line.due
                if line.owes and line.payment is not None:  # a payment counts for a month owed
                    f.collected += line.payment.amount
                if (
                    line.owes
                    and not line.settled
                    and line.month < ended
                    and start is not None
                    and line.month >= start
                ):
                    f.arrears += line.due
                    f.ids.add(m.pk)
    for f in [total, *by_child.values(), *by_month.values()]:
        f.arrears_members, f.ids = len(f.ids), None
    for path, paid_on, amount, remitted in ExtraPayment.objects.filter(
        member__org_path__prefix=org.path, paid_on__gte=period.start, paid_on__lte=period.end
    ).values_list("member__org_path", "paid_on", "amount", "remitted_to_centre"):
        child = child_of.get(path[: (org.depth + 1) * Organization.steplen])
        for f in [total, by_month[rules.month_start(paid_on)]] + ([by_child[child.pk]] if child else []):
            f.extra += amount
            if remitted:
                f.remitted += amount
    return selectors.Report(
        org,
        period,
        total,
        [(c, by_child.get(c.pk, selectors.Figures())) for c in children],
        sorted(by_month.items()),
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=writes)
def test_bulk_equals_load_after_random_writes(world: Any, ops: list[tuple]) -> None:
    with transaction.atomic():
        apply(world, ops)
        members = Member.objects.all()
        first, last = dt.date(2025, 1, 1), dt.date(2026, 3, 1)
        data = ledger.bulk(members, first, last)
        book = ledger.load(list(members), first, last)
        assert data.months == book.months
        assert {row[0] for row in data.members} == set(book.lines)
        for mid, lines in book.lines.items():
            assert data.due[mid] == [line.due if line.owes else None for line in lines], mid
            for i, line in enumerate(lines):
                assert data.paid.get((mid, line.month)) == (line.payment.amount if line.payment else None)
                assert data.settled(mid, i) == line.settled
        for org, period in (
            (world.root, "2025"),
            (world.root, "2026-Q1"),
            (world.general, "2025-11"),
            (world.branch_a, "2026"),
        ):
            got = selectors.report(org, parse(period), today=TODAY)
            assert got.source == "figures"  # the few stale branches recomputed on read
            want = reference_report(org, parse(period), today=TODAY).as_json()
            assert got.as_json() == want, (org.code, period)
            assert selectors.ledger_report(org, parse(period), today=TODAY).as_json() == want
        transaction.set_rollback(True)


def test_bulk_reads_a_fixed_number_of_queries(world: Any, django_assert_num_queries: Any) -> None:
    for member in world.members_a:
        IncomeBase.objects.create(member=member, amount=D("4000"), applies_from=dt.date(2025, 1, 1))
        IncomeBase.objects.create(member=member, amount=D("6000"), applies_from=dt.date(2025, 6, 1))
    with django_assert_num_queries(8):  # members, bases ×2, fixed, payments, hardship, settings, rule book
        data = ledger.bulk(Member.objects.all(), dt.date(2025, 3, 1), dt.date(2025, 8, 1))
    m = world.members_a[0].pk
    assert data.due[m] == [D("40.00")] * 3 + [D("90.00")] * 3
