"""The ledger's writes and the arrears findings: bases and their history, the year's fixing and the
refix after a base change, payments (back payment, advance, consent), extra payments, hardship, and
``member.dues_unpaid_6_months`` exactly at 6 months and not at 5; every write audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from jiceng.core.compliance import evaluate
from jiceng.core.models import ObjectChange
from jiceng.dues import ledger, selectors, services
from jiceng.dues.models import FixedAmount, IncomeBase, Payment

D = Decimal


def m(y: int, mo: int) -> dt.date:
    return dt.date(y, mo, 1)


def pay(world: Any, member: Any, month: dt.date, paid_on: dt.date | None = None, **kw: Any) -> Payment:
    return services.record_payment(
        actor=world.alice, member=member, month=month, paid_on=paid_on or month.replace(day=10), **kw
    )


def test_a_base_is_history_and_audited(world: Any) -> None:
    zhang = world.members_a[1]
    services.record_income_base(
        actor=world.alice, member=zhang, amount=D("3000.00"), applies_from=dt.date(2025, 1, 15)
    )
    services.record_income_base(actor=world.alice, member=zhang, amount=D("3000.01"), applies_from=m(2025, 7))
    assert list(
        IncomeBase.objects.filter(member=zhang).values_list("applies_from", "amount").order_by("applies_from")
    ) == [
        (m(2025, 1), D("3000.00")),
        (m(2025, 7), D("3000.01")),
    ]
    lines = ledger.load([zhang], m(2025, 6), m(2025, 7)).of(zhang.pk)
    assert [line.due for line in lines] == [D("15.00"), D("30.00")]
    assert ObjectChange.objects.filter(content_type__model="incomebase", action="create").count() == 2


def test_bases_are_written_within_scope_only(world: Any) -> None:
    with pytest.raises(Http404):
        services.record_income_base(
            actor=world.bob, member=world.members_a[1], amount=D("1"), applies_from=m(2025, 1)
        )
    with pytest.raises(PermissionDenied):
        services.record_income_base(
            actor=world.viewer, member=world.members_a[1], amount=D("1"), applies_from=m(2025, 1)
        )
    with pytest.raises(ValidationError):
        services.record_income_base(
            actor=world.alice, member=world.members_a[1], amount=D("-1"), applies_from=m(2025, 1)
        )


def test_a_members_own_base_counts_once_confirmed(world: Any) -> None:
    from jiceng.members.models import Member

    dora = Member.objects.get(user=world.dora)
    base = services.record_income_base(
        actor=world.dora, member=dora, amount=D("8000"), applies_from=m(2026, 3), by_member=True
    )
    assert not base.confirmed
    assert ledger.load([dora], m(2026, 3), m(2026, 3)).of(dora.pk)[0].due == D("0.00")
    services.confirm_income_base(actor=world.alice, base=base)
    assert ledger.load([dora], m(2026, 3), m(2026, 3)).of(dora.pk)[0].due == D("120.00")
    with pytest.raises(PermissionDenied):
        services.record_income_base(
            actor=world.dora,
            member=world.members_a[1],
            amount=D("1"),
            applies_from=m(2026, 3),
            by_member=True,
        )


def test_bases_are_masked_for_viewers(world: Any) -> None:
    zhang = world.members_a[1]
    assert selectors.can_see_bases(world.alice, zhang)
    assert selectors.can_see_bases(world.county_admin, zhang)
    assert not selectors.can_see_bases(world.viewer, zhang)
    assert selectors.can_see_bases(world.alice, world.members_a[0])  # alice's own record


def test_the_year_is_fixed_and_refixed_when_a_base_changes(world: Any) -> None:
    zhang = world.members_a[1]
    services.record_income_base(actor=world.alice, member=zhang, amount=D("4000"), applies_from=m(2025, 1))
    result = services.fix_year(actor=world.alice, branch=world.branch_a, year=2025)
    assert result.created == 5  # the branch's five members of 2025 (dora joined in 2026)
    fixed = FixedAmount.objects.get(member=zhang, year=2025)
    assert fixed.amount == D("40.00") and fixed.bracket == 2 and "4000" in fixed.explanation
    # A new base from September: refixed from September only.
    services.record_income_base(actor=world.alice, member=zhang, amount=D("6000"), applies_from=m(2025, 9))
    lines = ledger.load([zhang], m(2025, 8), m(2025, 9)).of(zhang.pk)
    assert [line.due for line in lines] == [D("40.00"), D("90.00")]
    assert all(line.fixed is not None for line in lines)
    # Fixing again changes nothing.
    assert services.fix_year(actor=world.alice, branch=world.branch_a, year=2025).created == 0


def test_probationary_members_pay_from_their_admitting_month(world: Any) -> None:
    from jiceng.members.models import Member

    dora = Member.objects.get(user=world.dora)  # joined 2026-03-01
    with pytest.raises(ValidationError) as e:
        pay(world, dora, m(2026, 2))
    assert "month" in e.value.message_dict
    assert pay(world, dora, m(2026, 3)).amount == D("0.00")  # no base: the lowest bracket of 0


def test_back_payment_beyond_6_months_is_refused_without_a_reason(world: Any) -> None:
    li = world.members_a[2]
    with pytest.raises(ValidationError) as e:
        pay(world, li, m(2025, 1), paid_on=dt.date(2025, 8, 3))
    assert e.value.error_dict["back_payment_reason"][0].code == "back_payment_reason_required"
    pay(world, li, m(2025, 2), paid_on=dt.date(2025, 8, 3))  # six months back: fine
    p = pay(world, li, m(2025, 1), paid_on=dt.date(2025, 8, 3), back_payment_reason="外出务工")
    assert p.back_payment_reason == "外出务工"
    with pytest.raises(ValidationError):
        pay(world, li, m(2025, 1), paid_on=dt.date(2025, 8, 3), back_payment_reason="again")  # already paid


def test_advance_payment_needs_the_branchs_consent(world: Any) -> None:
    li = world.members_a[2]
    with pytest.raises(ValidationError) as e:
        pay(world, li, m(2025, 3), paid_on=dt.date(2025, 1, 5))
    assert e.value.error_dict["month"][0].code == "consent_required"
    services.record_consent(actor=world.alice, member=li, kind="quarterly", decided_on=dt.date(2025, 1, 2))
    pay(world, li, m(2025, 3), paid_on=dt.date(2025, 1, 5))
    with pytest.raises(ValidationError):
        pay(world, li, m(2025, 4), paid_on=dt.date(2025, 1, 5))  # the next quarter


def test_an_extra_payment_of_1000_or_more_is_remitted_to_the_centre(world: Any) -> None:
    li = world.members_a[2]
    big = services.record_extra_payment(
        actor=world.alice, member=li, amount=D("1000.00"), paid_on=dt.date(2025, 7, 1)
    )
    small = services.record_extra_payment(
        actor=world.alice, member=li, amount=D("999.99"), paid_on=dt.date(2025, 7, 1)
    )
    assert big.remitted_to_centre and not small.remitted_to_centre


def test_hardship_needs_both_dates_to_count(world: Any) -> None:
    li = world.members_a[2]
    h = services.record_hardship(
        actor=world.alice,
        member=li,
        kind="exemption",
        from_month=m(2025, 1),
        until_month=m(2025, 12),
        reason="重病",
        branch_decided_on=dt.date(2025, 1, 3),
    )
    assert ledger.load([li], m(2025, 2), m(2025, 2)).of(li.pk)[0].exempt is False
    with pytest.raises(ValidationError):
        services.approve_hardship(actor=world.alice, hardship=h, committee_approved_on=dt.date(2025, 1, 1))
    services.approve_hardship(actor=world.alice, hardship=h, committee_approved_on=dt.date(2025, 1, 20))
    line = ledger.load([li], m(2025, 2), m(2025, 2)).of(li.pk)[0]
    assert line.exempt and line.due == D("0.00") and line.settled
    with pytest.raises(ValidationError):
        services.record_hardship(
            actor=world.alice,
            member=li,
            kind="reduction",
            from_month=m(2025, 1),
            until_month=m(2025, 2),
            reason="x",
            branch_decided_on=dt.date(2025, 1, 3),
        )  # a reduction names the reduced amount


def test_mark_paid_is_all_or_nothing(world: Any) -> None:
    a = world.members_a
    pay(world, a[1], m(2025, 5))
    with pytest.raises(ValidationError) as e:
        services.mark_paid(
            actor=world.alice,
            branch=world.branch_a,
            members=a[:3],
            month=m(2025, 5),
            paid_on=dt.date(2025, 5, 20),
        )
    assert a[1].name in str(e.value)
    assert Payment.objects.filter(month=m(2025, 5)).count() == 1
    done = services.mark_paid(
        actor=world.alice,
        branch=world.branch_a,
        members=[a[0], a[2]],
        month=m(2025, 5),
        paid_on=dt.date(2025, 5, 20),
    )
    assert len(done) == 2
    with pytest.raises(ValidationError):
        services.mark_paid(
            actor=world.alice,
            branch=world.branch_a,
            members=world.members_b,
            month=m(2025, 5),
            paid_on=dt.date(2025, 5, 20),
        )


# Findings ----------------------------------------------------------------------------------------------------


def _start(world: Any, month: dt.date) -> None:
    services.set_farmer_amount(actor=world.alice, branch=world.branch_a, amount=D("0.5"), records_since=month)


def keys(org: Any, period: str, rule: str) -> set:
    return {(f.org_code, f.period, f.member) for f in evaluate(org, period) if f.rule == rule}


def test_no_dues_findings_for_a_branch_that_keeps_no_dues_here(world: Any) -> None:
    found = [
        f
        for f in evaluate(world.root, "2025")
        if f.rule.startswith("dues.") or f.rule == "member.dues_unpaid_6_months"
    ]
    assert found == []


def test_unpaid_6_months_exactly_at_six_and_not_at_five(world: Any) -> None:
    _start(world, m(2025, 1))
    zhang, wang = world.members_a[1], world.members_a[2]
    for member in world.members_a:
        if member not in (zhang, wang):
            for month in range(1, 13):
                pay(world, member, m(2025, month))
    # zhang paid up to June, wang up to July: at the end of December zhang has 6 unpaid months, wang 5.
    for month in range(1, 7):
        pay(world, zhang, m(2025, month))
    for month in range(1, 8):
        pay(world, wang, m(2025, month))
    found = keys(world.root, "2025-12", "member.dues_unpaid_6_months")
    assert found == {("0101", "2025-12-31", zhang.pk)}
    f = next(f for f in evaluate(world.branch_a, "2025-12") if f.rule == "member.dues_unpaid_6_months")
    assert f.facts["months"] == ["2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12"]
    assert "连续6个月" in f.message and f.citation
    # On 30 November the run is five: nothing.
    assert keys(world.root, "2025-11-30", "member.dues_unpaid_6_months") == set()
    # An approved exemption for one of the months breaks the run.
    services.record_hardship(
        actor=world.alice,
        member=zhang,
        kind="exemption",
        from_month=m(2025, 9),
        until_month=m(2025, 9),
        reason="住院",
        branch_decided_on=dt.date(2025, 9, 2),
        committee_approved_on=dt.date(2025, 9, 20),
    )
    assert keys(world.root, "2025-12", "member.dues_unpaid_6_months") == set()


def test_the_monthly_finding_lists_the_unpaid_members_of_a_branch(world: Any) -> None:
    _start(world, m(2025, 3))
    a = world.members_a
    services.mark_paid(
        actor=world.alice, branch=world.branch_a, members=a[:4], month=m(2025, 3), paid_on=dt.date(2025, 3, 9)
    )
    found = [f for f in evaluate(world.root, "2025-Q1") if f.rule == "dues.unpaid_month"]
    assert [(f.org_code, f.period) for f in found] == [("0101", "2025-03")]  # from the records' start only
    assert found[0].facts["count"] == 1 and found[0].facts["names"] == [a[4].name]
    assert a[4].name in found[0].message
    pay(world, a[4], m(2025, 3), paid_on=dt.date(2025, 4, 2))
    assert [f for f in evaluate(world.root, "2025-Q1") if f.rule == "dues.unpaid_month"] == []


def test_the_ledger_reads_a_fixed_number_of_queries(world: Any, django_assert_num_queries: Any) -> None:
    from jiceng.members.models import Member

    for member in world.members_a:
        services.record_income_base(
            actor=world.alice, member=member, amount=D("4000"), applies_from=m(2025, 1)
        )
        pay(world, member, m(2025, 3))
    services.fix_year(actor=world.alice, branch=world.branch_a, year=2025)
    members = list(Member.objects.all())
    with django_assert_num_queries(6):  # bases, fixed, payments, hardship, settings, and the rule book
        book = ledger.load(members, m(2025, 1), m(2025, 12))
    with django_assert_num_queries(0):  # nothing deferred is read afterwards
        lines = [line for member in members for line in book.of(member.pk)]
        assert sum(line.due for line in lines if line.owes) > 0
        assert [line.explanation for line in lines] and [
            line.payment.get_method_display() for line in lines if line.payment
        ]


def test_the_engine_reads_dues_in_a_fixed_number_of_queries(world: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _start(world, m(2025, 1))
    pay(world, world.members_a[0], m(2025, 1))

    def count(org: Any) -> int:
        with CaptureQueriesContext(connection) as ctx:
            evaluate(org, "2025")
        return len(ctx.captured_queries)

    small = count(world.root)
    services.set_farmer_amount(
        actor=world.bob, branch=world.branch_b, amount=D("0.5"), records_since=m(2025, 1)
    )
    for member in world.members_b:
        services.record_payment(actor=world.bob, member=member, month=m(2025, 2), paid_on=dt.date(2025, 2, 9))
    assert count(world.root) == small


def test_collection_by_org_for_the_assessment(world: Any) -> None:
    _start(world, m(2025, 1))
    zhang = world.members_a[1]
    services.record_income_base(actor=world.alice, member=zhang, amount=D("3000.01"), applies_from=m(2025, 1))
    pay(world, zhang, m(2025, 1))
    figures = selectors.collection_by_org(
        paths=[world.root.path, world.branch_b.path], start=dt.date(2025, 1, 1), end=dt.date(2025, 3, 31)
    )
    collected, owed = figures[world.root.path]
    assert collected == D("30.00")
    # Three months of zhang (30.00) and of four members without a base (0.00 each: lowest bracket of 0).
    assert owed == D("90.00")
    assert figures[world.branch_b.path] == (D("0.00"), D("0.00"))  # branch B keeps no dues here
