"""This app's blocks of the public community page (``core.registry.public_sections``):

- ``partners.projects``: the partner units with an agreement of the year signed in the community's
  subtree, and their projects (owner, deadline, status, milestones with their days);
- ``partners.figures``: the year's figures of the community's subtree: resident requests received
  and solved in the resident's word, agreement projects done (on time), volunteer hours credited;
  and the same by partner unit (``selectors.unit_figures``).

Units and organizations are named; people never are (no contact, no phone, no volunteer).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from . import selectors
from .models import Agreement, ProjectStatus


def projects_section(org: Any, year: int) -> tuple[str, dict[str, Any]] | None:
    agreements = list(
        selectors.with_lists(
            Agreement.objects.filter(org_path__startswith=org.path, year=year).select_related("unit", "org")
        ).order_by("unit__name", "id")[:50]
    )
    if not agreements:
        return None
    return "partners/public/_projects.html", {"agreements": agreements, "today": timezone.localdate()}


def year_figures(org: Any, year: int) -> dict[str, Any]:
    """The community page's numbers for ``org``'s subtree in ``year`` (no scope: public figures)."""
    from jiceng.participation.models import Volunteer
    from jiceng.services import selectors as request_selectors
    from jiceng.services.models import ServiceRequest

    from .models import AgreementProject

    requests = request_selectors.figures(
        ServiceRequest.objects.filter(org_path__startswith=org.path),
        start=dt.date(year, 1, 1),
        end=dt.date(year, 12, 31),
    )
    projects = (
        AgreementProject.objects.filter(agreement__org_path__startswith=org.path, agreement__year=year)
        .exclude(status=ProjectStatus.CANCELLED)
        .aggregate(
            n=Count("pk"),
            done=Count("pk", filter=Q(status=ProjectStatus.DONE)),
        )
    )
    on_time = sum(f.on_time for f in selectors.unit_figures(org, year))
    tz = timezone.get_current_timezone()
    hours = Volunteer.objects.filter(
        activity__org_path__startswith=org.path,
        activity__cancelled=False,
        activity__starts_at__gte=dt.datetime(year, 1, 1, tzinfo=tz),
        activity__starts_at__lt=dt.datetime(year + 1, 1, 1, tzinfo=tz),
        attended=True,
    ).aggregate(h=Sum("hours"))["h"] or Decimal("0")
    return {
        "requests_received": requests.received,
        "requests_solved": requests.solved,
        "projects": projects["n"] or 0,
        "projects_done": projects["done"] or 0,
        "projects_on_time": on_time,
        "hours": hours,
    }


def figures_section(org: Any, year: int) -> tuple[str, dict[str, Any]]:
    return "partners/public/_figures.html", {
        "figures": year_figures(org, year),
        "by_unit": selectors.unit_figures(org, year),
    }
