"""Every read of organizations, restricted to what the user's roles cover."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from jiceng.core import scope
from jiceng.core.models import User

from . import rules
from .models import Committee, Organization, OrgKind


def visible_orgs(user: User, action: str = scope.VIEW) -> QuerySet[Organization]:
    return Organization.objects.restrict(user, action)


def get_org(user: User, *, code: str | None = None, pk: int | None = None, action: str = scope.VIEW) -> Organization:
    """The organization, or 404 when it does not exist or lies outside the user's scope."""
    lookup = {"code": code} if code is not None else {"pk": pk}
    return get_object_or_404(visible_orgs(user, action), **lookup)


def scope_roots(user: User) -> QuerySet[Organization]:
    """The top organizations of the user's scope: where their tree navigator starts."""
    prefixes = scope.paths_for(user, scope.VIEW)
    return Organization.objects.filter(path__in=prefixes)


def children(user: User, org: Organization) -> QuerySet[Organization]:
    return visible_orgs(user).filter(path__startswith=org.path, depth=org.depth + 1)


def ancestors_in_scope(user: User, org: Organization) -> list[Organization]:
    """Breadcrumbs: the ancestors the user may see (never above their scope)."""
    prefixes = scope.paths_for(user, scope.VIEW)
    steplen = Organization.steplen
    paths = [org.path[: i * steplen] for i in range(1, org.depth)]
    visible = [p for p in paths if scope.covers(prefixes, p)]
    return list(Organization.objects.filter(path__in=visible).order_by("depth"))


def search(user: User, text: str, *, limit: int = 20) -> QuerySet[Organization]:
    text = text.strip()
    if not text:
        return visible_orgs(user).none()
    return visible_orgs(user).filter(Q(name__icontains=text) | Q(code__istartswith=text))[:limit]


def subtree(org: Organization) -> QuerySet[Organization]:
    return Organization.objects.filter(path__startswith=org.path)


def committee_terms(org: Organization, *, today: dt.date | None = None, notice_months: int = 6) -> dict[str, int]:
    """Current committees of the subtree whose term has ended, or ends within ``notice_months``."""
    today = today or timezone.localdate()
    soon = rules.add_months(today, notice_months)
    expired = due = 0
    current = Committee.objects.filter(org__path__startswith=org.path, ended_on__isnull=True).only(
        "elected_on", "term_years", "extended_to"
    )
    for committee in current.iterator(chunk_size=2000):
        end = committee.term_ends_on
        if end <= today:
            expired += 1
        elif end <= soon:
            due += 1
    return {"expired": expired, "due": due}


def org_summary(org: Organization) -> dict[str, Any]:
    """The organization page's numbers for the subtree (members by status, category, ...)."""
    from jiceng.members.selectors import member_counts

    branches = subtree(org).filter(kind=OrgKind.BRANCH)
    by_unit = dict(branches.values_list("unit_kind").annotate(n=Count("id")).values_list("unit_kind", "n"))
    return {
        "members": member_counts(org),
        "branches": branches.count(),
        "branches_by_unit_kind": by_unit,
        "committees": committee_terms(org),
    }
