"""Every read of the roster, restricted to the user's scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from jiceng.core import scope
from jiceng.core.models import User
from jiceng.orgs.models import Organization

from .filters import birth_range
from .models import AgeBand, Member, Membership


def visible_members(user: User, action: str = scope.VIEW) -> QuerySet[Member]:
    return Member.objects.restrict(user, action).filter(closed_on__isnull=True)


def member_list(user: User, *, org: Organization | None = None) -> QuerySet[Member]:
    """Members the user may see, optionally within one organization's subtree."""
    qs = visible_members(user).select_related("org", "group")
    if org is not None:
        qs = qs.filter(org_path__startswith=org.path)
    return qs


def get_member(user: User, pk: int, *, action: str = scope.VIEW) -> Member:
    return get_object_or_404(Member.objects.restrict(user, action).select_related("org", "group", "user"), pk=pk)


def own_member(user: User) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.filter(user=user).select_related("org").first()


def memberships(member: Member) -> QuerySet[Membership]:
    return member.memberships.all()


def _counts(qs: QuerySet[Member], field: str) -> dict[str, int]:
    return dict(qs.values_list(field).annotate(n=Count("id")).values_list(field, "n"))


def member_counts(org: Organization, *, today: dt.date | None = None) -> dict[str, Any]:
    """Counts of the subtree's members by status, category, education, gender and age band."""
    today = today or timezone.localdate()
    qs = Member.objects.filter(org_path__startswith=org.path, closed_on__isnull=True)
    by_age = {band: qs.filter(birth_range(band, today)).count() for band in AgeBand.values}
    return {
        "total": qs.count(),
        "status": _counts(qs, "status"),
        "category": _counts(qs, "category"),
        "education": _counts(qs, "education"),
        "gender": _counts(qs, "gender"),
        "age_band": by_age,
    }
