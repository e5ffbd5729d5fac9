"""The demo town holds reporting members (accepted and waiting), a unit's registration, service tasks
(one taken and done) and an activity with its attendance recorded."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from jiceng.participation.models import Activity, MemberRegistration, TaskClaim, UnitRegistration, Volunteer


@pytest.mark.django_db
def test_demo_participation() -> None:
    out = StringIO()
    call_command("demo", stdout=out)
    assert "双报到与志愿服务" in out.getvalue()
    statuses = set(MemberRegistration.objects.values_list("status", flat=True))
    assert statuses == {"accepted", "pending"}
    assert UnitRegistration.objects.exists()
    assert TaskClaim.objects.filter(done_on__isnull=False).exists()
    recorded = Activity.objects.filter(attendance_recorded_at__isnull=False).get()
    assert Volunteer.objects.filter(activity=recorded, attended=True).exists()
    assert Activity.objects.filter(attendance_recorded_at__isnull=True).exists()
