"""Every read of 双报到 and volunteer service, scoped to the user.

A registration is seen from both of its places (the member's home subtree, the community's subtree)
and by the member; an activity by its organizer's subtree and, to join it, by the members it is open
to (``joinable``: activities of their home branch and its superiors, and of the communities that
accepted their registration). Figures are sums by organization and partner unit, never a list of
people ranked.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404

from jiceng.core import scope
from jiceng.members.models import Member
from jiceng.orgs.models import Organization

from .models import (
    Activity,
    MemberRegistration,
    RegistrationStatus,
    ServiceTask,
    TaskClaim,
    UnitRegistration,
    Volunteer,
)
from .services import COMMUNITY_KINDS, own_member


def registrations(user: Any) -> QuerySet[MemberRegistration]:
    return MemberRegistration.objects.restrict(user).select_related("member", "member__org", "community")


def registrations_of_branch(user: Any, org: Organization) -> QuerySet[MemberRegistration]:
    """Where the members of ``org``'s subtree serve (the home side)."""
    return registrations(user).filter(member__org_path__startswith=org.path)


def registrations_to(user: Any, org: Organization) -> QuerySet[MemberRegistration]:
    """Who reported to the communities of ``org``'s subtree."""
    return registrations(user).filter(community_path__startswith=org.path)


def get_registration(user: Any, pk: int) -> MemberRegistration:
    return get_object_or_404(registrations(user), pk=pk)


def unit_registrations(user: Any) -> QuerySet[UnitRegistration]:
    return UnitRegistration.objects.restrict(user).select_related("community", "partner", "unit_org")


def get_unit_registration(user: Any, pk: int) -> UnitRegistration:
    return get_object_or_404(unit_registrations(user), pk=pk)


def communities_for(user: Any, member: Member | None) -> QuerySet[Organization]:
    """Communities one may report to (a member where they live, a unit where it sits): those of the
    trees the member's branch and the user's scope belong to (a community's name and code are no
    secret within its tree: its public page shows them)."""
    roots = {p[: Organization.steplen] for p in scope.paths_for(user, scope.VIEW)}
    if member is not None:
        roots.add(member.org_path[: Organization.steplen])
    return Organization.objects.filter(scope.path_q("path", roots), unit_kind__in=COMMUNITY_KINDS)


def members_reportable(user: Any) -> QuerySet[Member]:
    """Members the user may report: of the branches they may change."""
    return Member.objects.restrict(user, scope.CHANGE).filter(closed_on__isnull=True)


# Service tasks ------------------------------------------------------------------------------------------


def tasks(user: Any) -> QuerySet[ServiceTask]:
    """Tasks of the communities in scope, and of the communities that accepted the user's registration."""
    q = ServiceTask.objects.scope_q(user, scope.VIEW)
    member = own_member(user)
    if member is not None:
        q |= Q(
            community_id__in=MemberRegistration.objects.filter(
                member=member, status=RegistrationStatus.ACCEPTED
            ).values("community_id")
        )
    return (
        ServiceTask.objects.filter(q)
        .select_related("community", "project")
        .annotate(taken=Count("claims"))
        # A grouped query drops Meta.ordering: without this, API pages could repeat or skip rows.
        .order_by("closed", "due_on", "-id")
    )


def get_task(user: Any, pk: int) -> ServiceTask:
    return get_object_or_404(tasks(user), pk=pk)


def get_claim(user: Any, pk: int) -> TaskClaim:
    claim = get_object_or_404(TaskClaim.objects.select_related("task", "member"), pk=pk)
    if claim.member.user_id == getattr(user, "pk", None) or scope.can(
        user, scope.VIEW, claim.task.community_path
    ):
        return claim
    raise Http404


# Activities -------------------------------------------------------------------------------------------


def joinable(member: Member) -> QuerySet[Activity]:
    """Activities a member may see and sign up for: published by their branch or a superior of it, or
    by a community that accepted their registration (and its subtree)."""
    step = Organization.steplen
    ancestors = [member.org_path[:i] for i in range(step, len(member.org_path) + 1, step)]
    communities = list(
        MemberRegistration.objects.filter(member=member, status=RegistrationStatus.ACCEPTED).values_list(
            "community_path", flat=True
        )
    )
    return Activity.objects.filter(
        Q(org_path__in=ancestors) | scope.path_q("org_path", communities), cancelled=False
    )


def activities(user: Any) -> QuerySet[Activity]:
    q = Activity.objects.scope_q(user, scope.VIEW)
    member = own_member(user)
    if member is not None:
        q |= Q(pk__in=joinable(member).values("pk"))
    return (
        Activity.objects.filter(q)
        .select_related("org", "partner")
        .annotate(signed_up=Count("volunteers"))
        .order_by("-starts_at", "-id")  # a grouped query drops Meta.ordering
    )


def get_activity(user: Any, pk: int) -> Activity:
    return get_object_or_404(activities(user), pk=pk)


def volunteers(activity: Activity) -> QuerySet[Volunteer]:
    return activity.volunteers.select_related("member", "member__org")


def get_volunteer(user: Any, pk: int) -> Volunteer:
    v = get_object_or_404(Volunteer.objects.select_related("activity", "member"), pk=pk)
    if scope.can(user, scope.VIEW, v.activity.org_path) or (v.member_id and v.member.user_id == user.pk):
        return v
    raise Http404


# The member's own --------------------------------------------------------------------------------------


def own_registrations(member: Member) -> QuerySet[MemberRegistration]:
    return member.registrations.select_related("community").order_by("-reported_on", "-id")


def own_claims(member: Member) -> QuerySet[TaskClaim]:
    return member.task_claims.select_related("task", "task__community").order_by("-claimed_on", "-id")


def own_service(member: Member, year: int | None = None) -> QuerySet[Volunteer]:
    qs = member.volunteering.filter(attended=True).select_related("activity", "activity__org")
    if year is not None:
        qs = qs.filter(activity__starts_at__year=year)
    return qs.order_by("activity__starts_at", "id")


def own_hours(member: Member, year: int | None = None) -> Decimal:
    return own_service(member, year).aggregate(h=Sum("hours"))["h"] or Decimal("0")


def own_upcoming(member: Member, now: dt.datetime) -> QuerySet[Volunteer]:
    return member.volunteering.filter(activity__starts_at__gt=now, activity__cancelled=False).select_related(
        "activity"
    )


# Figures: by organization and partner unit, for a year --------------------------------------------------


def figures(user: Any, org: Organization, year: int) -> dict[str, Any]:
    """Activities, attendances and hours of the year by organizer (organization of ``org``'s subtree)
    and by partner unit; registrations of the subtree's members and to its communities."""
    acts = Activity.objects.restrict(user).filter(
        org_path__startswith=org.path, starts_at__year=year, cancelled=False
    )
    credited = Volunteer.objects.filter(activity__in=acts, attended=True)
    by_org = list(
        credited.values("activity__org__code", "activity__org__name")
        .annotate(people=Count("id"), hours=Sum("hours"), activities=Count("activity", distinct=True))
        .order_by("activity__org__code")
    )
    by_partner = list(
        credited.filter(activity__partner__isnull=False)
        .values("activity__partner__name")
        .annotate(people=Count("id"), hours=Sum("hours"), activities=Count("activity", distinct=True))
        .order_by("activity__partner__name")
    )
    total = credited.aggregate(people=Count("id"), hours=Sum("hours"))
    regs = MemberRegistration.objects.restrict(user).filter(status=RegistrationStatus.ACCEPTED)
    return {
        "org": org,
        "year": year,
        "activities": acts.count(),
        "attendances": total["people"] or 0,
        "hours": total["hours"] or Decimal("0"),
        "by_org": by_org,
        "by_partner": by_partner,
        "members_serving": regs.filter(member__org_path__startswith=org.path).count(),
        "members_reported_here": regs.filter(community_path__startswith=org.path).count(),
        "units_reported_here": UnitRegistration.objects.restrict(user)
        .filter(community_path__startswith=org.path, status=RegistrationStatus.ACCEPTED)
        .count(),
    }


def open_projects(user: Any) -> QuerySet[Any]:
    """The agreed projects (项目清单) a project role may name: those of agreements the user sees, neither
    done nor cancelled (the service checks the community against the agreement)."""
    from jiceng.partners.models import AgreementProject, ProjectStatus
    from jiceng.partners.selectors import agreements

    return (
        AgreementProject.objects.filter(agreement__in=agreements(user).values("pk"))
        .exclude(status__in=[ProjectStatus.DONE, ProjectStatus.CANCELLED])
        .select_related("agreement__unit")
        .order_by("-agreement__year", "agreement__unit__name", "deadline", "id")
    )
