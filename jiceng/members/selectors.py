"""Every read of the roster, restricted to the user's scope."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from jiceng.core import scope
from jiceng.core.models import User
from jiceng.orgs.models import Organization

from .models import Member, Membership


def visible_members(user: User, action: str = scope.VIEW) -> QuerySet[Member]:
    return Member.objects.restrict(user, action).filter(closed_on__isnull=True)


def member_list(user: User, *, org: Organization | None = None) -> QuerySet[Member]:
    """Members the user may see, optionally within one organization's subtree."""
    qs = visible_members(user).select_related("org", "group")
    if org is not None:
        qs = qs.filter(org_path__prefix=org.path)
    return qs


def get_member(user: User, pk: int, *, action: str = scope.VIEW) -> Member:
    return get_object_or_404(
        Member.objects.restrict(user, action).select_related("org", "group", "user"), pk=pk
    )


def own_member(user: User) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.filter(user=user).select_related("org").first()


def memberships(member: Member) -> QuerySet[Membership]:
    return member.memberships.all()


def committee_posts(member: Member) -> QuerySet:
    """The committee posts a member holds or held, newest committee first."""
    return member.committee_posts.select_related("committee__org").order_by("-committee__elected_on", "post")
