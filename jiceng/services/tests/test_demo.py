"""The demo town holds requests in every state, some late, and a partner unit's contact who sees
only its unit's requests."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from jiceng.core.models import User
from jiceng.services import selectors
from jiceng.services.models import ServiceRequest, StateType


@pytest.mark.django_db
def test_demo_requests_in_every_state() -> None:
    out = StringIO()
    call_command("demo", stdout=out)
    assert "wuye" in out.getvalue()
    assert set(ServiceRequest.objects.values_list("state_type", flat=True)) == set(StateType.values)
    wuye = User.objects.get(username="wuye")
    seen = ServiceRequest.objects.restrict(wuye)
    assert seen.exists() and all(r.handler_partner_id for r in seen)
    # Late ones show in the queue (the engine judges only days from the records' start, today in the demo).
    shuji1 = User.objects.get(username="shuji1")
    assert selectors.home_counts(shuji1)["late"] >= 2
    # A 12345 work order, and a request whose public version was edited (the original kept).
    assert ServiceRequest.objects.filter(channel="hotline").exclude(hotline_no="").count() == 1
    moderated = ServiceRequest.objects.exclude(public_text="").get()
    assert "13800000000" in moderated.text and "13800000000" not in moderated.public_description
