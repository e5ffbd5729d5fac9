"""The demo town's year of dues: payments every month, a few arrears, two six-month findings."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from jiceng.core.compliance import evaluate
from jiceng.dues import selectors
from jiceng.dues.models import ExtraPayment, Payment
from jiceng.orgs.models import Organization


@pytest.mark.django_db
def test_the_demo_has_a_year_of_dues_with_a_few_arrears() -> None:
    call_command("demo", stdout=StringIO())
    today = timezone.localdate()
    root = Organization.objects.get(depth=1)
    assert Payment.objects.count() > 12 * 400
    unpaid = [f for f in evaluate(root, today.isoformat()) if f.rule == "member.dues_unpaid_6_months"]
    assert len(unpaid) == 2
    from jiceng.core import periods

    report = selectors.report(root, periods.parse(str(today.year)), today=today)
    assert report.total.rate is not None and report.total.rate > 90
    assert ExtraPayment.objects.filter(remitted_to_centre=True).count() == 1
