"""This app's block of the public community page (``core.registry.public_sections``): the volunteer
activities published in the community's subtree that are still open to join, with the places left,
and the year's totals of activities and hours. No volunteer's name, no phone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from .models import Activity, Volunteer

SHOWN = 10


def activities_section(org: Any, year: int) -> tuple[str, dict[str, Any]] | None:
    now = timezone.now()
    upcoming = list(
        Activity.objects.filter(org_path__startswith=org.path, cancelled=False, starts_at__gt=now)
        .annotate(signed=Count("volunteers"))
        .order_by("starts_at", "id")
        .only("pk", "title", "place", "starts_at", "ends_at", "needed", "hours")[:SHOWN]
    )
    tz = timezone.get_current_timezone()
    start, end = dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)
    year_acts = Activity.objects.filter(
        org_path__startswith=org.path, cancelled=False, starts_at__gte=start, starts_at__lt=end
    )
    totals = Volunteer.objects.filter(activity__in=year_acts).aggregate(
        hours=Sum("hours", filter=Q(attended=True)), attendances=Count("pk", filter=Q(attended=True))
    )
    held = year_acts.filter(attendance_recorded_at__isnull=False).count()
    if not upcoming and not held:
        return None
    for a in upcoming:
        a.left = max(0, a.needed - a.signed)
    return (
        "participation/public/_activities.html",
        {
            "upcoming": upcoming,
            "held": held,
            "hours": totals["hours"] or Decimal("0"),
            "attendances": totals["attendances"] or 0,
        },
    )
