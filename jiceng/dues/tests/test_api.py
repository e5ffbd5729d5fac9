"""The dues API: scoped (404 outside the subtree, 403 for a write without the change right), the bases
masked for viewers, payments and bases written through the services (audited), and in the schema."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.urls import reverse
from rest_framework.test import APIClient

from jiceng.core.models import ObjectChange
from jiceng.core.scope import CHANGE
from jiceng.core.testing import Case, coverage_test, scope_test
from jiceng.dues import services


def branch_a(world):  # noqa: ANN001, ANN201
    return world.branch_a


def root(world):  # noqa: ANN001, ANN201
    return world.root


CASES = [
    Case(
        "api-dues-base-list",
        query="member=0",
        ok=(200, 404),
        expect=lambda w, who: (404,) if who != "anonymous" else (401,),
    ),
    Case("api-dues-base-list"),
    Case("api-dues-base-list", org=branch_a, query="org=0101"),
    Case("api-dues-base-list", action=CHANGE, method="post", ok=(400,)),
    Case("api-dues-payment-list"),
    Case("api-dues-payment-list", org=branch_a, query="org=0101"),
    Case("api-dues-payment-list", action=CHANGE, method="post", ok=(400,)),
    Case("api-dues-amount-list", org=branch_a, query="org=0101&month=2026-03"),
    Case("api-dues-report-list", org=root, query="org=01&period=2026-Q1"),
    Case("api-dues-publication-list", org=root, query="org=01&year=2025"),
]

test_scope = scope_test(CASES)
test_every_endpoint_has_a_scope_case = coverage_test("api-dues", CASES)


def client(user: Any) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_bases_through_the_api_masked_for_viewers(world: Any) -> None:
    zhang = world.members_a[1]
    url = reverse("api-dues-base-list")
    r = client(world.alice).post(
        url, {"member": zhang.pk, "amount": "5000.01", "applies_from": "2026-01"}, format="json"
    )
    assert r.status_code == 201, r.json()
    assert r.json()["amount"] == "5000.01"
    assert ObjectChange.objects.filter(content_type__model="incomebase").count() == 1
    assert client(world.viewer).get(url, {"member": zhang.pk}).json()["results"][0]["amount"] is None
    assert (
        client(world.county_admin).get(url, {"member": zhang.pk}).json()["results"][0]["amount"] == "5000.01"
    )
    assert (
        client(world.bob)
        .post(url, {"member": zhang.pk, "amount": "1", "applies_from": "2026-01"}, format="json")
        .status_code
        == 404
    )
    bad = client(world.alice).post(
        url, {"member": zhang.pk, "amount": "1", "applies_from": "2026-13"}, format="json"
    )
    assert bad.status_code == 400 and "applies_from" in bad.json()["errors"]


def test_payments_amounts_and_report(world: Any) -> None:
    zhang = world.members_a[1]
    services.record_income_base(
        actor=world.alice, member=zhang, amount=Decimal("3000.01"), applies_from=dt.date(2026, 1, 1)
    )
    r = client(world.alice).post(
        reverse("api-dues-payment-list"),
        {
            "member": zhang.pk,
            "month": "2026-03",
            "paid_on": "2026-03-05",
            "method": "transfer",
            "receipt_number": "A-1",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["amount"] == "30.00"
    again = client(world.alice).post(
        reverse("api-dues-payment-list"),
        {"member": zhang.pk, "month": "2026-03", "paid_on": "2026-03-05"},
        format="json",
    )
    assert again.status_code == 400 and again.json()["errors"]["month"][0]["code"] == "already_paid"
    rows = (
        client(world.viewer).get(reverse("api-dues-amount-list"), {"org": "0101", "month": "2026-03"}).json()
    )
    row = next(x for x in rows if x["member"] == zhang.pk)
    assert (
        row["due"] == "30.00" and row["paid"] and row["bracket"] == 2 and "3000.01" not in row["explanation"]
    )
    report = (
        client(world.county_admin)
        .get(reverse("api-dues-report-list"), {"org": "01", "period": "2026-03"})
        .json()
    )
    assert report["total"]["collected"] == "30.00"
    assert {o["org_code"] for o in report["by_org"]} == {"0101", "0102", "0103"}


def test_the_schema_has_the_dues_endpoints(world: Any) -> None:
    schema = client(world.alice).get(reverse("openapi")).json()
    assert "/api/v1/dues/bases/" in schema["paths"] and "/api/v1/dues/report/" in schema["paths"]
    assert "DuesReport" in schema["components"]["schemas"]
