"""The maintained figures (``figures.py``): after any writes, every row not marked stale equals the row
computed afresh from the ledger, and the report read from the figures equals the report computed from
the ledger (hypothesis); each path that makes rows stale; recompute on read, the ledger fallback and the
rebuild command."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.core.models import RuleVersion
from jiceng.core.periods import parse
from jiceng.dues import figures, rules, selectors, services
from jiceng.dues.models import DuesMonthFigure, DuesSubtreeFigure, Payment
from jiceng.members import services as members
from jiceng.members.models import Member
from jiceng.orgs import services as orgs
from jiceng.orgs.models import Organization

D = Decimal
TODAY = timezone.localdate()
THIS = TODAY.year
YEARS = [THIS - 1, THIS]
MONTHS = rules.months_between(dt.date(THIS - 1, 1, 1), rules.month_start(TODAY))
FIELDS = [f for f in figures.SUMMED] + ["path"]

month = st.sampled_from(MONTHS)
money = st.decimals(min_value=0, max_value=20000, places=2, allow_nan=False, allow_infinity=False)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("base"), st.integers(0, 9), month, money),
        st.tuples(st.just("pay"), st.integers(0, 9), month, money),
        st.tuples(st.just("cancel"), st.integers(0, 9), month, st.none()),
        st.tuples(st.just("hardship"), st.integers(0, 9), month, money),
        st.tuples(st.just("extra"), st.integers(0, 9), month, st.sampled_from([D("50"), D("1000")])),
        st.tuples(st.just("fix"), st.integers(0, 3), month, st.none()),
        st.tuples(st.just("setting"), st.integers(0, 3), month, st.sampled_from([D("0.2"), D("1")])),
        st.tuples(
            st.just("category"),
            st.integers(0, 9),
            month,
            st.sampled_from(["employed", "retired", "farmer", "student", "other"]),
        ),
        st.tuples(st.just("close"), st.integers(0, 9), month, st.none()),
        st.tuples(st.just("transfer"), st.integers(0, 9), month, st.integers(0, 2)),
        st.tuples(st.just("rule"), st.integers(0, 1), month, st.sampled_from([D("0.3"), D("0.2")])),
    ),
    max_size=25,
)


def run(world: Any, steps: list[tuple]) -> None:
    admin = world.county_admin
    branches = [world.branch_a, world.branch_b, world.branch_c]
    for kind, i, m, value in steps:
        people = list(Member.objects.filter(closed_on__isnull=True).order_by("id"))
        member = people[i % len(people)] if people else None
        try:
            if kind == "base" and member:
                services.record_income_base(actor=admin, member=member, amount=value, applies_from=m)
            elif kind == "pay" and member:
                services.record_payment(
                    actor=admin,
                    member=member,
                    month=m,
                    paid_on=TODAY,
                    amount=value / 100,
                    back_payment_reason="补交",
                )
            elif kind == "cancel" and member:
                payment = Payment.objects.filter(member=member).first()
                if payment:
                    services.cancel_payment(actor=admin, payment=payment)
            elif kind == "hardship" and member:
                services.record_hardship(
                    actor=admin,
                    member=member,
                    kind="exemption" if value > 10000 else "reduction",
                    from_month=m,
                    until_month=rules.add_months(m, int(value) % 5),
                    reduced_amount=None if value > 10000 else value / 1000,
                    reason="困难",
                    branch_decided_on=m,
                    committee_approved_on=m if int(value) % 2 else None,
                )
            elif kind == "extra" and member:
                services.record_extra_payment(actor=admin, member=member, amount=value, paid_on=m)
            elif kind == "fix":
                services.fix_year(actor=admin, branch=branches[i % 3], year=m.year)
            elif kind == "setting":
                services.set_farmer_amount(actor=admin, branch=branches[i % 3], amount=value, records_since=m)
            elif kind == "category" and member:
                members.update_member(actor=admin, member=member, category=value)
            elif kind == "close" and member:
                members.close_member(actor=admin, member=member, on=max(m, member.joined_on), reason="去世")
            elif kind == "transfer" and member:
                target = branches[value]
                if target.pk != member.org_id:
                    members.transfer_member(actor=admin, member=member, to_org=target, on=TODAY)
            elif kind == "rule":
                params = dict(rules.AMOUNT_DEFAULTS, fixed_low=str(value))
                RuleVersion.objects.update_or_create(
                    code=rules.AMOUNT, effective_from=m, defaults={"params": params, "citation": "测试"}
                )
        except ValidationError:
            pass  # refused by the service: nothing written


def assert_current(world: Any) -> None:
    """Every row not stale equals the row computed now; reports from figures equal the ledger's."""
    branches = figures.branches_under(world.root.path)
    for year in YEARS:
        fresh = {(r.org_id, r.month): r for r in figures.compute(branches, year)}
        for row in DuesMonthFigure.objects.filter(month__year=year, stale=False):
            want = fresh[row.org_id, row.month]
            assert {f: getattr(row, f) for f in FIELDS} == {f: getattr(want, f) for f in FIELDS}, (
                row.path,
                row.month,
            )
    for org, period in (
        (world.root, str(THIS - 1)),
        (world.root, f"{THIS}-Q{(TODAY.month - 1) // 3 + 1}"),
        (world.root, f"{THIS}-Q1"),
        (world.general, f"{THIS - 1}-11"),
        (world.branch_a, str(THIS)),
    ):
        got = selectors.report(org, parse(period), today=TODAY)
        assert got.source == "figures"
        assert got.as_json() == selectors.ledger_report(org, parse(period), today=TODAY).as_json(), (
            org.code,
            period,
        )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=ops)
def test_figures_equal_the_ledger_after_random_writes(world: Any, steps: list[tuple]) -> None:
    with transaction.atomic():
        services.set_farmer_amount(
            actor=world.county_admin, branch=world.branch_a, amount=D("0.5"), records_since=MONTHS[0]
        )
        figures.rebuild(years=YEARS)
        half = len(steps) // 2
        run(world, steps[:half])
        assert_current(world)  # the subtree sums are kept here …
        run(world, steps[half:])
        assert_current(world)  # … and must have gone wherever the writes changed a branch
        transaction.set_rollback(True)


def rows(org: Organization, year: int = THIS) -> list[DuesMonthFigure]:
    return list(DuesMonthFigure.objects.filter(org=org, month__year=year).order_by("month"))


@pytest.fixture
def built(world: Any) -> Any:
    figures.rebuild(years=YEARS)
    assert_current(world)  # the subtree sums exist: each test checks they go when they no longer hold
    assert DuesSubtreeFigure.objects.exists()
    return world


def test_rebuild_writes_twelve_rows_per_branch_and_year(built: Any) -> None:
    assert DuesMonthFigure.objects.count() == 3 * 12 * len(YEARS)  # branches A, B, C
    assert not DuesMonthFigure.objects.filter(stale=True).exists()
    first = rows(built.branch_a)[0]
    assert first.liable == 5 and first.due == D("0.00")  # five employed members without a base


def test_a_dues_service_recomputes_in_its_own_transaction(built: Any) -> None:
    member = built.members_a[0]
    m = MONTHS[0]
    with transaction.atomic():
        services.record_payment(
            actor=built.alice,
            member=member,
            month=m,
            paid_on=TODAY,
            back_payment_reason="补交",
            amount=D("5"),
        )
        row = DuesMonthFigure.objects.get(org=built.branch_a, month=m)
        assert (row.paid, row.collected, row.stale) == (1, D("5.00"), False)
        transaction.set_rollback(True)
    assert DuesMonthFigure.objects.get(org=built.branch_a, month=m).paid == 0


def test_mark_paid_recomputes_once(built: Any, monkeypatch: Any) -> None:
    m = rules.month_start(TODAY)
    calls = []
    store = figures.store
    monkeypatch.setattr(
        figures, "store", lambda branches, year, **kw: calls.append(year) or store(branches, year, **kw)
    )
    services.mark_paid(
        actor=built.alice, branch=built.branch_a, month=m, members=built.members_a, paid_on=TODAY
    )
    assert sorted(calls) == YEARS  # once per year for the five payments (records_since set: every year)
    row = DuesMonthFigure.objects.get(org=built.branch_a, month=m)
    assert row.paid == 5 and not row.stale


def test_a_base_recomputes_the_later_years(built: Any) -> None:
    services.record_income_base(
        actor=built.alice, member=built.members_a[0], amount=D("4000"), applies_from=dt.date(THIS - 1, 12, 1)
    )
    assert rows(built.branch_a)[0].due == D("40.00")  # 4000 × 1%; the others have no base
    assert not DuesMonthFigure.objects.filter(stale=True).exists()


def test_setting_recomputes(built: Any) -> None:
    services.set_farmer_amount(actor=built.bob, branch=built.branch_b, amount=D("1"), records_since=MONTHS[0])
    assert not DuesMonthFigure.objects.filter(stale=True).exists()
    assert_current(built)


def test_a_category_change_marks_stale(built: Any) -> None:
    members.update_member(actor=built.county_admin, member=built.members_a[0], category="farmer")
    assert all(r.stale for r in rows(built.branch_a))
    assert not any(r.stale for r in rows(built.branch_b))
    assert_current(built)  # recomputed on read


def test_an_unrelated_member_edit_leaves_figures(built: Any) -> None:
    members.update_member(actor=built.county_admin, member=built.members_a[0], phone="13800000000")
    assert not DuesMonthFigure.objects.filter(stale=True).exists()


def test_closing_marks_stale(built: Any) -> None:
    members.close_member(actor=built.county_admin, member=built.members_a[1], on=MONTHS[2], reason="去世")
    assert all(r.stale for r in rows(built.branch_a))
    assert_current(built)


def test_a_transfer_marks_both_branches_stale(built: Any) -> None:
    members.transfer_member(
        actor=built.county_admin, member=built.members_a[1], to_org=built.branch_b, on=TODAY
    )
    assert all(r.stale for r in rows(built.branch_a)) and all(r.stale for r in rows(built.branch_b))
    assert not any(r.stale for r in rows(built.branch_c))
    assert_current(built)


def test_a_moved_subtree_takes_its_figures_along(built: Any) -> None:
    orgs.move_org(actor=built.county_admin, org=built.branch_c, new_parent=built.root)
    built.branch_c.refresh_from_db()
    assert {r.path for r in rows(built.branch_c)} == {built.branch_c.path}
    assert not DuesMonthFigure.objects.filter(stale=True).exists()
    assert_current(built)


def test_the_roster_import_marks_its_subtree_stale(built: Any) -> None:
    from jiceng.roster.importer import imported

    imported.send(sender=None, org_paths=(built.general.path,))
    assert all(r.stale for r in rows(built.branch_c))
    assert not any(r.stale for r in rows(built.branch_a))
    assert_current(built)


def test_a_new_rule_version_marks_from_its_year(built: Any) -> None:
    params = dict(rules.AMOUNT_DEFAULTS, fixed_low="0.30")
    RuleVersion.objects.create(
        code=rules.AMOUNT, effective_from=dt.date(THIS, 1, 1), params=params, citation="测试"
    )
    assert all(r.stale for r in DuesMonthFigure.objects.filter(month__year=THIS))
    assert not any(r.stale for r in DuesMonthFigure.objects.filter(month__year=THIS - 1))
    assert_current(built)


def test_a_row_saved_outside_a_service_marks_stale(built: Any) -> None:
    Payment.objects.create(member=built.members_b[0], month=MONTHS[0], amount=D("1"), paid_on=TODAY)
    assert all(r.stale for r in rows(built.branch_b, THIS - 1))
    assert not any(r.stale for r in rows(built.branch_b, THIS))
    assert_current(built)


def test_many_stale_branches_fall_back_to_the_ledger(built: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(figures, "ON_READ_BRANCHES", 1)
    queued = []
    monkeypatch.setattr(figures, "queue_rebuild", lambda path, year: queued.append((path, year)))
    figures.mark_stale()
    r = selectors.report(built.root, parse(str(THIS)), today=TODAY)
    assert r.source == "ledger" and queued == [(built.root.path, THIS)]
    assert r.as_json() == selectors.ledger_report(built.root, parse(str(THIS)), today=TODAY).as_json()
    monkeypatch.setattr(figures, "ON_READ_BRANCHES", 200)
    assert selectors.report(built.root, parse(str(THIS)), today=TODAY).source == "figures"


def test_missing_figures_are_computed_on_read(world: Any) -> None:
    assert not DuesMonthFigure.objects.exists()
    r = selectors.report(world.root, parse(f"{THIS}-Q1"), today=TODAY)
    assert r.source == "figures"
    assert DuesMonthFigure.objects.filter(month__year=THIS).count() == 36
    assert not DuesMonthFigure.objects.filter(month__year=THIS - 1).exists()


def test_the_rebuild_command(world: Any) -> None:
    out = io.StringIO()
    call_command("dues", "--rebuild-figures", "--year", str(THIS), stdout=out)
    assert "3/3" in out.getvalue()
    assert DuesMonthFigure.objects.count() == 36
    figures.mark_stale(org_ids=[world.branch_a.pk])
    out = io.StringIO()
    call_command("dues", "--rebuild-figures", "--year", str(THIS), "--stale-only", "--org", "01", stdout=out)
    assert "1/1" in out.getvalue()
    assert not DuesMonthFigure.objects.filter(stale=True).exists()


def test_the_rebuild_task(world: Any) -> None:
    from jiceng.dues.tasks import rebuild_figures

    assert rebuild_figures.func(world.root.path, [THIS], False) == 36


def test_a_member_in_a_new_branch_drops_the_sums_above(built: Any) -> None:
    new = orgs.create_org(
        actor=built.county_admin,
        parent=built.general,
        code="010302",
        name="新支部",
        kind="branch",
        unit_kind="government",
    )
    assert_current(built)
    from conftest import _member

    _member(built.county_admin, new, 77, "新党员", joined=dt.date(THIS - 1, 1, 5))
    Member.objects.filter(org=new).update(category="student")  # a queryset update: no signal …
    figures.mark_stale(org_ids=[new.pk])  # … so say it, as the roster import's signal does
    assert_current(built)
    assert selectors.report(built.root, parse(str(THIS)), today=TODAY).total.due >= D("0.20") * TODAY.month


def test_the_console_report_reads_the_figures(built: Any) -> None:
    import json

    out = io.StringIO()
    call_command("dues", "--org", "01", "--report", str(THIS), stdout=out)
    got = json.loads(out.getvalue())
    assert got == selectors.ledger_report(built.root, parse(str(THIS)), today=TODAY).as_json()
    with pytest.raises(Exception, match="YYYY"):
        call_command("dues", "--org", "01", "--report", "2026-13")


def test_a_report_read_while_a_change_is_committing_keeps_no_sums(built: Any, monkeypatch: Any) -> None:
    """When the sums' lock cannot be had at once (a change is committing), the report sums the branch
    rows, equal to the ledger, but keeps nothing; the next report, lock free, keeps them."""
    DuesSubtreeFigure.objects.all().delete()
    period = parse(str(THIS - 1))
    monkeypatch.setattr(figures, "_try_sums_lock", lambda: False)
    got = selectors.report(built.root, period, today=TODAY)
    assert got.source == "figures"
    assert got.as_json() == selectors.ledger_report(built.root, period, today=TODAY).as_json()
    assert not DuesSubtreeFigure.objects.exists()
    monkeypatch.undo()
    assert selectors.report(built.root, period, today=TODAY).as_json() == got.as_json()
    assert DuesSubtreeFigure.objects.filter(org=built.root).exists()


@pytest.mark.postgresql
def test_a_report_keeping_sums_holds_the_lock_every_change_shares(built: Any) -> None:
    """On PostgreSQL a report that kept sums holds the sums' lock alone until its transaction ends, so
    a change on another connection (``drop_sums`` shares the lock) waits for it; and a report cannot
    take it alone while a change holds it."""
    import psycopg
    from django.db import connection

    DuesSubtreeFigure.objects.all().delete()
    selectors.report(built.root, parse(str(THIS - 1)), today=TODAY)
    assert DuesSubtreeFigure.objects.filter(org=built.root).exists()
    params = connection.get_connection_params()
    dsn = {k: v for k, v in params.items() if k in ("dbname", "host", "port", "user")}
    with psycopg.connect(**dsn, autocommit=True) as other:
        shared = "SELECT pg_try_advisory_lock_shared(%s)"
        assert other.execute(shared, [figures.SUMS_LOCK]).fetchone()[0] is False
    assert figures._try_sums_lock() is True  # this transaction holds it already
