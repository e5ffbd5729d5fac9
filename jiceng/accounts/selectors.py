"""Every read of the accounts app, restricted to the caller's scope.

Who is an organization administrator's to manage: the accounts that hold a role in their subtree,
are linked to a member record there, or were created under an organization there (``AccountState
.home_org``). System administrators are managed in Django's admin only and are never listed here.
An account that also holds a role outside the administrator's subtree is visible (its roles inside can
be granted and withdrawn) but not *wholly* theirs: its password and its being active belong to
whoever manages all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from jiceng.core import scope
from jiceng.core.models import RoleAssignment, User
from jiceng.members.models import Member
from jiceng.orgs.models import Committee, CommitteePost, Organization, OrgKind, Post

from .models import AdminNotice


def manage_paths(user: User) -> tuple[str, ...]:
    return scope.paths_for(user, scope.MANAGE)


def can_manage_accounts(user: User) -> bool:
    return bool(manage_paths(user))


def _in_scope_q(paths: tuple[str, ...]) -> Q:
    roles = RoleAssignment.objects.filter(scope.path_q("org__path", paths), user=OuterRef("pk"))
    return (
        Q(Exists(roles))
        | scope.path_q("member__org_path", paths)
        | scope.path_q("account_state__home_org__path", paths)
    )


def visible_users(actor: User, *, q: str = "") -> QuerySet[User]:
    """The accounts the actor manages (see the module docstring); none without the manage right."""
    paths = manage_paths(actor)
    if not paths:
        return User.objects.none()
    users = User.objects.filter(_in_scope_q(paths), is_superuser=False)
    if q:
        users = users.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    return (
        users.select_related("member__org", "account_state")
        .prefetch_related(
            Prefetch(
                "role_assignments",
                queryset=RoleAssignment.objects.select_related("org").order_by("org__path"),
            )
        )
        .order_by("username")
    )


def get_user(actor: User, pk: int) -> User:
    """One managed account, or 404 (whether it exists elsewhere is not disclosed)."""
    return get_object_or_404(visible_users(actor), pk=pk)


def wholly_managed(actor: User, target: User) -> bool:
    """Every role and the member record of ``target`` lie in the actor's manage subtrees."""
    paths = manage_paths(actor)
    if not paths or target.is_superuser or target.pk == actor.pk:
        return False
    for assignment in target.role_assignments.all():
        if not scope.covers(paths, assignment.org.path):
            return False
    member = Member.objects.filter(user=target).values_list("org_path", flat=True).first()
    return member is None or scope.covers(paths, member)


def grantable_orgs(actor: User) -> QuerySet[Organization]:
    return Organization.objects.restrict(actor, scope.MANAGE)


# Secretaries as the records say ---------------------------------------------------------------------


@dataclass(frozen=True)
class Secretary:
    """The recorded secretary (书记) of a branch: the committee's in office, or, for a branch without a
    committee, ``Organization.secretary``; only while they are an active member of that branch."""

    org_id: int
    member_id: int
    name: str
    user_id: int | None


def recorded_secretaries(branches: QuerySet[Organization]) -> dict[int, Secretary]:
    """Branch id → its recorded secretary, for the branches of ``branches`` that have one."""
    branches = branches.filter(kind=OrgKind.BRANCH)
    current = Committee.objects.filter(org__in=branches, ended_on__isnull=True)
    with_committee = set(current.values_list("org_id", flat=True))
    wanted: dict[int, int] = dict(
        CommitteePost.objects.filter(committee__in=current, post=Post.SECRETARY).values_list(
            "committee__org_id", "member_id"
        )
    )
    for org_id, member_id in branches.filter(secretary__isnull=False).values_list("pk", "secretary_id"):
        if org_id not in with_committee:
            wanted[org_id] = member_id
    people = {
        pk: (org_id, name, user_id)
        for pk, org_id, name, user_id in Member.objects.filter(
            pk__in=list(wanted.values()), closed_on__isnull=True
        ).values_list("pk", "org_id", "name", "user_id")
    }
    found = {}
    for org_id, member_id in wanted.items():
        person = people.get(member_id)
        if person is not None and person[0] == org_id:  # transferred away: secretary there no more
            found[org_id] = Secretary(org_id=org_id, member_id=member_id, name=person[1], user_id=person[2])
    return found


@dataclass(frozen=True)
class SecretaryRow:
    branch: Organization
    secretary: Secretary | None
    username: str
    has_role: bool


def secretary_overview(actor: User, org: Organization) -> list[SecretaryRow]:
    """Every branch of the subtree with its recorded secretary and their account, for the bulk page."""
    scope.ensure(actor, scope.MANAGE, org.path)
    branches = Organization.objects.filter(path__prefix=org.path, kind=OrgKind.BRANCH)
    found = recorded_secretaries(branches)
    users = dict(
        User.objects.filter(pk__in=[s.user_id for s in found.values() if s.user_id]).values_list(
            "pk", "username"
        )
    )
    with_role = set(
        RoleAssignment.objects.filter(org__in=branches, role=scope.Role.SECRETARY).values_list(
            "org_id", "user_id"
        )
    )
    rows = []
    for branch in branches.order_by("path"):
        sec = found.get(branch.pk)
        rows.append(
            SecretaryRow(
                branch=branch,
                secretary=sec,
                username=users.get(sec.user_id, "") if sec and sec.user_id else "",
                has_role=bool(sec and sec.user_id and (branch.pk, sec.user_id) in with_role),
            )
        )
    return rows


# Notices and activation ---------------------------------------------------------------------------


def open_notices(actor: User) -> QuerySet[AdminNotice]:
    return (
        AdminNotice.objects.restrict(actor, scope.MANAGE)
        .filter(dismissed_at__isnull=True)
        .select_related("org", "incoming_user", "outgoing_user")
    )


def members_without_account(actor: User, *, q: str = "") -> QuerySet[Member]:
    """Active members the actor may change who have no account yet: the ones to give a code to."""
    members = Member.objects.restrict(actor, scope.CHANGE).filter(closed_on__isnull=True, user__isnull=True)
    if q:
        members = members.filter(
            Q(name__contains=q)
            | Q(name_pinyin__startswith=q.lower())
            | Q(name_initials__startswith=q.lower())
        )
    return members.select_related("org")
