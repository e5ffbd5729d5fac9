"""Every read of partner units, scoped: the registry pages see the units registered in the user's
subtrees (``PartnerUnit.restrict``); a unit's contacts see their own unit (read only) and what is
dispatched to it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from jiceng.core import scope

from .models import Agreement, AgreementProject, PartnerUnit, ProjectMilestone, ProjectStatus


def visible_units(user: Any, action: str = scope.VIEW) -> QuerySet[PartnerUnit]:
    """Units registered in the user's subtrees; for the view, also the units the user is a contact of."""
    mine = (
        Q(contacts=user) if action == scope.VIEW and getattr(user, "is_authenticated", False) else Q(pk=None)
    )
    restricted = PartnerUnit.objects.restrict(user, action).values("pk")
    return PartnerUnit.objects.filter(
        Q(pk__in=restricted) | Q(pk__in=PartnerUnit.objects.filter(mine).values("pk"))
    )


def unit_list(user: Any) -> QuerySet[PartnerUnit]:
    """The registry: units registered in the user's subtrees, with their contacts counted."""
    return (
        PartnerUnit.objects.restrict(user)
        .select_related("org")
        .annotate(n_contacts=Count("contacts", distinct=True))
        .order_by("-active", "org__path", "name", "id")
    )


def get_unit(user: Any, pk: Any) -> PartnerUnit:
    text = str(pk)
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise Http404
    unit = visible_units(user).select_related("org").filter(pk=int(text)).first()
    if unit is None:
        raise Http404
    return unit


def units_of_contact(user: Any) -> QuerySet[PartnerUnit]:
    if not getattr(user, "is_authenticated", False):
        return PartnerUnit.objects.none()
    return PartnerUnit.objects.filter(contacts=user).select_related("org").order_by("name", "id")


def dispatched(user: Any, unit: PartnerUnit) -> QuerySet[Any]:
    """Requests the user sees that are assigned to ``unit`` (responsible or co-handling), the queue's
    order (open ones by time left first)."""
    from jiceng.services import selectors as request_selectors
    from jiceng.services.models import CoHandler

    co = CoHandler.objects.filter(partner=unit).values("request_id")
    return request_selectors.request_list(user).filter(Q(handler_partner=unit) | Q(pk__in=co))


# Agreements --------------------------------------------------------------------------------------


def _digits(pk: Any) -> int:
    text = str(pk)
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise Http404
    return int(text)


def agreements(user: Any, action: str = scope.VIEW) -> QuerySet[Agreement]:
    """Agreements signed in the user's subtrees; to view, also those of the units the user is a contact of."""
    return Agreement.objects.restrict(user, action).select_related("unit", "org")


def get_agreement(user: Any, pk: Any) -> Agreement:
    agreement = agreements(user).filter(pk=_digits(pk)).first()
    if agreement is None:
        raise Http404
    return agreement


def with_lists(qs: QuerySet[Agreement]) -> QuerySet[Agreement]:
    projects = AgreementProject.objects.select_related("owner_org", "need").prefetch_related(
        Prefetch("milestones", queryset=ProjectMilestone.objects.order_by("due_on", "id"))
    )
    return qs.prefetch_related("resources", "needs__request", Prefetch("projects", queryset=projects))


def get_project(user: Any, pk: Any) -> AgreementProject:
    project = (
        AgreementProject.objects.filter(agreement__in=agreements(user).values("pk"), pk=_digits(pk))
        .select_related("agreement__unit", "agreement__org", "owner_org")
        .first()
    )
    if project is None:
        raise Http404
    return project


def get_milestone(user: Any, pk: Any) -> ProjectMilestone:
    milestone = (
        ProjectMilestone.objects.filter(project__agreement__in=agreements(user).values("pk"), pk=_digits(pk))
        .select_related("project__agreement__unit", "project__owner_org")
        .first()
    )
    if milestone is None:
        raise Http404
    return milestone


def agreements_of_contact(user: Any) -> QuerySet[Agreement]:
    """A liaison's own: the agreements of the units they are a contact of."""
    if not getattr(user, "is_authenticated", False):
        return Agreement.objects.none()
    return Agreement.objects.filter(unit__contacts=user).select_related("unit", "org").order_by("-year", "id")


# Unit-level figures (never people) ------------------------------------------------------------------


@dataclass(frozen=True)
class UnitFigures:
    """One partner unit's year in one organization's subtree.

    - projects: the projects of the year's agreements signed in the subtree (cancelled ones left out);
      ``done`` of them done, ``on_time`` done no later than their deadline;
    - requests: resident requests made in the subtree, received in the year, with the unit responsible
      (merged, withdrawn and referred left out, as in the three rates); ``answered`` of them answered;
    - hours: volunteer hours credited at the activities of the year the unit organized (published in
      the subtree, attendance recorded), and how many attendances.
    """

    unit: PartnerUnit
    projects: int
    done: int
    on_time: int
    requests: int
    answered: int
    hours: Decimal
    attendances: int


def unit_figures(org: Any, year: int, units: Any = None) -> list[UnitFigures]:
    """Per partner unit with an agreement, a request or an activity in ``org``'s subtree in ``year``,
    by name: sums for the unit, no ranking. Callers check the user may see ``org`` (or show it on the
    public page); nothing personal is read."""
    from jiceng.participation.models import Volunteer
    from jiceng.services.models import ServiceRequest

    tz = timezone.get_current_timezone()
    start = dt.datetime(year, 1, 1, tzinfo=tz)
    end = dt.datetime(year + 1, 1, 1, tzinfo=tz)
    projects = {
        r["agreement__unit"]: r
        for r in AgreementProject.objects.filter(
            agreement__org_path__startswith=org.path, agreement__year=year
        )
        .exclude(status=ProjectStatus.CANCELLED)
        .values("agreement__unit")
        .annotate(
            n=Count("pk"),
            done=Count("pk", filter=Q(status=ProjectStatus.DONE)),
            on_time=Count("pk", filter=Q(status=ProjectStatus.DONE, done_on__lte=F("deadline"))),
        )
        .order_by()
    }
    requests = {
        r["handler_partner"]: r
        for r in ServiceRequest.objects.filter(
            org_path__startswith=org.path,
            handler_partner__isnull=False,
            received_at__gte=start,
            received_at__lt=end,
        )
        .exclude(state_type__in=("merged", "withdrawn", "referred"))
        .values("handler_partner")
        .annotate(n=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False)))
        .order_by()
    }
    hours = {
        r["activity__partner"]: r
        for r in Volunteer.objects.filter(
            activity__org_path__startswith=org.path,
            activity__partner__isnull=False,
            activity__cancelled=False,
            activity__starts_at__gte=start,
            activity__starts_at__lt=end,
            attended=True,
        )
        .values("activity__partner")
        .annotate(hours=Sum("hours"), n=Count("pk"))
        .order_by()
    }
    ids = set(projects) | set(requests) | set(hours)
    qs = PartnerUnit.objects.filter(pk__in=ids)
    if units is not None:
        qs = qs.filter(pk__in=units)
    out = []
    for unit in qs.order_by("name", "id"):
        p, r, h = projects.get(unit.pk, {}), requests.get(unit.pk, {}), hours.get(unit.pk, {})
        out.append(
            UnitFigures(
                unit=unit,
                projects=p.get("n", 0),
                done=p.get("done", 0),
                on_time=p.get("on_time", 0),
                requests=r.get("n", 0),
                answered=r.get("answered", 0),
                hours=h.get("hours") or Decimal("0"),
                attendances=h.get("n", 0),
            )
        )
    return out
