"""The yearly publication of collection and use (党费收缴使用情况年度公示): its figures against a hand
computation, counts and never names, the uses recorded with their decision, scoped, the export audited."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from jiceng.core.models import ObjectChange
from jiceng.core.testing import page
from jiceng.dues import selectors, services
from jiceng.dues.models import DuesUse

D = Decimal
TODAY = dt.date(2026, 4, 15)


def m(y: int, mo: int) -> dt.date:
    return dt.date(y, mo, 1)


@pytest.fixture
def year_2025(world: Any) -> Any:
    """Branch A's 2025, computed by hand below."""
    alice = world.alice
    zhang, wang, li, chen = world.members_a[1:5]
    services.set_farmer_amount(actor=alice, branch=world.branch_a, amount=D("0.5"), records_since=m(2025, 1))
    services.record_income_base(actor=alice, member=zhang, amount=D("3000.01"), applies_from=m(2025, 1))
    services.record_income_base(actor=alice, member=wang, amount=D("8000"), applies_from=m(2025, 1))
    services.record_income_base(actor=alice, member=wang, amount=D("12000"), applies_from=m(2025, 7))
    for month in (1, 2, 3):
        services.record_payment(
            actor=alice, member=zhang, month=m(2025, month), paid_on=dt.date(2025, month, 10)
        )
    services.record_payment(actor=alice, member=wang, month=m(2025, 1), paid_on=dt.date(2025, 1, 10))
    services.record_extra_payment(actor=alice, member=zhang, amount=D("50"), paid_on=dt.date(2025, 2, 1))
    services.record_extra_payment(actor=alice, member=wang, amount=D("1000"), paid_on=dt.date(2025, 6, 1))
    services.record_extra_payment(actor=alice, member=wang, amount=D("2000"), paid_on=dt.date(2024, 6, 1))
    hardship = {"branch_decided_on": dt.date(2024, 12, 20), "reason": "重病"}
    services.record_hardship(
        actor=alice,
        member=li,
        kind="exemption",
        from_month=m(2025, 3),
        until_month=m(2025, 5),
        committee_approved_on=dt.date(2024, 12, 28),
        **hardship,
    )
    services.record_hardship(
        actor=alice,
        member=chen,
        kind="reduction",
        from_month=m(2025, 1),
        until_month=m(2025, 12),
        reduced_amount=D("5.00"),
        committee_approved_on=dt.date(2024, 12, 28),
        **hardship,
    )
    services.record_hardship(  # not approved: not counted
        actor=alice,
        member=world.members_a[0],
        kind="exemption",
        from_month=m(2025, 1),
        until_month=m(2025, 2),
        **hardship,
    )
    services.record_hardship(  # another year: not counted
        actor=alice,
        member=zhang,
        kind="exemption",
        from_month=m(2024, 1),
        until_month=m(2024, 2),
        committee_approved_on=dt.date(2024, 1, 28),
        branch_decided_on=dt.date(2024, 1, 5),
        reason="重病",
    )
    use = {"actor": alice, "org": world.branch_a}
    services.record_use(
        **use,
        kind="use",
        used_on=dt.date(2025, 4, 1),
        purpose="购买党员学习资料",
        amount=D("300"),
        decision="支委会2025年3月28日决定",
    )
    services.record_use(
        **use,
        kind="remit",
        used_on=dt.date(2025, 12, 20),
        purpose="上缴街道党工委",
        amount=D("500"),
        decision="支委会2025年12月15日决定",
    )
    services.record_use(
        **use,
        kind="use",
        used_on=dt.date(2024, 7, 1),
        purpose="慰问困难党员",
        amount=D("200"),
        decision="支委会2024年6月28日决定",
    )
    services.record_use(
        actor=world.county_admin,
        org=world.root,
        kind="use",
        used_on=dt.date(2025, 7, 1),
        purpose="培训基层党员",
        amount=D("1000"),
        decision="党工委会议2025年6月30日决定",
    )
    return world


def test_the_figures_equal_a_hand_computation(year_2025: Any) -> None:
    world = year_2025
    pub = selectors.publication(world.branch_a, 2025, today=TODAY)
    # zhang 12 × 30.00; wang 6 × 120.00 + 6 × 240.00; chen's reduction 12 × 5.00; li exempt, alice 0.
    assert pub.figures.due == D("2580.00")
    assert pub.figures.collected == D("210.00")  # zhang 3 × 30.00, wang 120.00
    assert pub.figures.rate == D("8.1")  # 210 / 2580
    assert (pub.extra_count, pub.figures.extra) == (2, D("1050.00"))
    assert (pub.remitted_count, pub.figures.remitted) == (1, D("1000.00"))
    assert pub.remitted_up == D("500.00")
    assert (pub.reductions, pub.exemptions) == (1, 1)
    assert [u.purpose for u in pub.uses] == ["购买党员学习资料"] and pub.used_total == D("300.00")
    # The street's: the subtree's uses, its own remittances only (none).
    street = selectors.publication(world.root, 2025, today=TODAY).as_json()
    assert street["used_total"] == "1300.00" and street["remitted_up"] == "0.00"
    assert [u["org_code"] for u in street["uses"]] == ["0101", "01"]


def test_the_page_prints_counts_and_no_names(year_2025: Any, client_for: Any) -> None:
    world = year_2025
    url = reverse("dues:publication", kwargs={"code": world.branch_a.code}) + "?year=2025"
    text = page(client_for(world.alice).get(url), one_h1=True, unique_ids=True)
    assert 'data-figure="due">2580.00' in text and "8.1%" in text and "print.css" in text
    assert "购买党员学习资料" in text and "支委会2025年3月28日决定" in text
    for name in ("王芳", "李娜", "陈静"):
        assert name not in text
    assert "style=" not in text


def test_uses_are_recorded_within_scope_with_a_decision(world: Any, client_for: Any) -> None:
    url = reverse("dues:use", kwargs={"code": world.branch_a.code})
    data = {
        "kind": "use",
        "used_on": "2026-03-01",
        "purpose": "订阅党报党刊",
        "amount": "120.50",
        "decision": "",
    }
    alice = client_for(world.alice)
    assert alice.post(url, data).status_code == 400  # the decision is required
    assert alice.post(url, {**data, "decision": "支委会决定"}).status_code == 302
    use = DuesUse.objects.get()
    assert use.amount == D("120.50") and use.org == world.branch_a
    assert ObjectChange.objects.filter(content_type__model="duesuse", action="create").count() == 1
    assert client_for(world.bob).post(url, {**data, "decision": "x"}).status_code == 404
    assert client_for(world.viewer).post(url, {**data, "decision": "x"}).status_code == 403
    with pytest.raises(ValidationError):
        services.record_use(
            actor=world.alice,
            org=world.branch_a,
            kind="use",
            used_on=dt.date(2026, 3, 1),
            purpose="x" * 201,
            amount=D("1"),
            decision="支委会决定",
        )
    for day, amount in (
        (dt.date(1900, 1, 1), D("1")),
        (TODAY + dt.timedelta(days=3650), D("1")),
        (dt.date(2026, 1, 1), D("0")),
    ):
        with pytest.raises(ValidationError):
            services.record_use(
                actor=world.alice,
                org=world.branch_a,
                kind="use",
                used_on=day,
                purpose="x",
                amount=amount,
                decision="支委会决定",
            )
    assert DuesUse.objects.count() == 1


def test_the_export_is_audited_and_scoped(year_2025: Any, client_for: Any) -> None:
    from openpyxl import load_workbook

    world = year_2025
    url = reverse("dues:publication_xlsx", kwargs={"code": world.branch_a.code}) + "?year=2025"
    response = client_for(world.alice).get(url)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    values = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=3, values_only=True)}
    assert values["应交党费（元）"] == 2580 and values["经批准免交党费（人）"] == 1
    assert [row[2] for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)] == [
        "购买党员学习资料"
    ]
    assert ObjectChange.objects.filter(action="export", message__contains="2025").count() == 1
    assert client_for(world.bob).get(url).status_code == 404
    assert ObjectChange.objects.filter(action="export").count() == 1


def test_the_api_answers_the_publication_in_scope(year_2025: Any) -> None:
    world = year_2025
    api = APIClient()
    api.force_authenticate(world.alice)
    url = reverse("api-dues-publication-list")
    body = api.get(url, {"org": "0101", "year": "2025"}).json()
    assert body["due"] == "2580.00" and body["exemptions"] == 1 and body["uses"][0]["amount"] == "300.00"
    assert api.get(url, {"org": "0102", "year": "2025"}).status_code == 404
    assert api.get(url, {"org": "0101", "year": "25"}).status_code == 400


def test_the_report_shows_what_the_subtree_remitted_up_in_the_period(year_2025: Any) -> None:
    """上缴上级 in the subtree report: the branch's 500 yuan remitted in December counts in the year, the
    quarter and the month it was remitted, for the root, the child holding the branch and December;
    uses (使用) never count; the maintained figures and the ledger agree."""
    from jiceng.core.periods import parse

    world = year_2025
    for label, expected in (("2025", D("500.00")), ("2025-Q4", D("500.00")), ("2025-12", D("500.00"))):
        for compute in (selectors.report, selectors.ledger_report):
            r = compute(world.root, parse(label), today=TODAY)
            assert r.total.remitted_up == expected, (label, compute.__name__)
            holding = [f for c, f in r.by_child if world.branch_a.path.startswith(c.path)]
            assert [f.remitted_up for f in holding] == [expected]
            assert sum((f.remitted_up for c, f in r.by_child), D("0")) == expected
            assert dict(r.by_month)[m(2025, 12)].remitted_up == expected
            assert r.as_json()["total"]["remitted_up"] == str(expected)
    for label in ("2025-Q3", "2025-11", "2024"):
        assert selectors.report(world.root, parse(label), today=TODAY).total.remitted_up == D("0.00")
