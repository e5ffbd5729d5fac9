"""Every read of organizations, restricted to what the user's roles cover."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from jiceng.core import scope
from jiceng.core.models import User

from . import rules, tallies
from .models import Organization, OrgKind


def visible_orgs(user: User, action: str = scope.VIEW) -> QuerySet[Organization]:
    return Organization.objects.restrict(user, action)


def changeable_branches(user: User) -> QuerySet[Organization]:
    return visible_orgs(user, scope.CHANGE).filter(kind=OrgKind.BRANCH)


def branch_to_change(
    user: User, code: str, *, denied_here: str, denied: str
) -> tuple[Organization | None, QuerySet[Organization]]:
    """The branch a write names with ``?org=<code>`` (a committee's code narrows the choice to its
    subtree), or the only one the user may change, with the branches the user may choose from:
    ``(branch, branches)``. When no single branch follows, ``branch`` is None.

    404 for a code outside the scope; 403 (``denied_here`` / ``denied``) where the user may not write.
    """
    from django.core.exceptions import PermissionDenied

    branches = changeable_branches(user)
    if code:
        org = get_org(user, code=code)
        if not scope.can(user, scope.CHANGE, org.path):
            raise PermissionDenied(denied_here)
        if org.kind == OrgKind.BRANCH:
            return org, branches
        branches = branches.filter(path__prefix=org.path)
    elif not scope.paths_for(user, scope.CHANGE):
        raise PermissionDenied(denied)
    only = list(branches[:2])
    return (only[0] if len(only) == 1 else None), branches


def get_org(
    user: User, *, code: str | None = None, pk: int | None = None, action: str = scope.VIEW
) -> Organization:
    """The organization, or 404 when it does not exist or lies outside the user's scope."""
    lookup = {"code": code} if code is not None else {"pk": pk}
    return get_object_or_404(visible_orgs(user, action), **lookup)


def scope_roots(user: User) -> QuerySet[Organization]:
    """The top organizations of the user's scope: where their tree navigator starts."""
    prefixes = scope.paths_for(user, scope.VIEW)
    return Organization.objects.filter(path__in=prefixes)


def children(user: User, org: Organization) -> QuerySet[Organization]:
    return visible_orgs(user).filter(path__prefix=org.path, depth=org.depth + 1)


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
    return Organization.objects.filter(path__prefix=org.path)


def committee_terms(counts: dict[str, int], *, today: dt.date, notice_months: int = 6) -> dict[str, int]:
    """Current committees whose term has ended, or ends within ``notice_months`` (RULES.md §1)."""
    soon = rules.add_months(today, notice_months).isoformat()
    now = today.isoformat()
    expired = due = 0
    for key, n in counts.items():
        if key.startswith("term_end:"):
            end = key[len("term_end:") :]
            if end <= now:
                expired += n
            elif end <= soon:
                due += n
    return {"expired": expired, "due": due}


def _split(counts: dict[str, int], prefix: str) -> dict[str, int]:
    return {k[len(prefix) :]: v for k, v in counts.items() if k.startswith(prefix)}


def org_summary(org: Organization, *, today: dt.date | None = None) -> dict[str, Any]:
    """The organization page's numbers for the whole subtree, from the maintained tallies."""
    from jiceng.members.models import AgeBand, band_of_age

    today = today or timezone.localdate()
    counts = tallies.read(org)
    by_age = dict.fromkeys(AgeBand.values, 0)
    for year, n in _split(counts, "birth_year:").items():
        by_age[band_of_age(today.year - int(year))] += n
    return {
        "members": {
            "total": counts.get("members", 0),
            "status": _split(counts, "status:"),
            "category": _split(counts, "category:"),
            "education": _split(counts, "education:"),
            "gender": _split(counts, "gender:"),
            "age_band": by_age,
        },
        "branches": counts.get("branches", 0),
        "branches_by_unit_kind": _split(counts, "unit:"),
        "committees": {
            **committee_terms(counts, today=today),
            # 党工委's appointed committees: no term, so never expired or due.
            "appointed": counts.get(tallies.APPOINTED_KEY, 0),
        },
    }
