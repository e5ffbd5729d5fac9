"""Role granting never exceeds the granter's scope: over random trees, random roles of the granter and
random grants (and grants passed on by the grantee), a grant succeeds exactly where the granter holds
the manage right, and every right the grantees end up with lies inside the granter's manage subtrees."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.accounts import selectors, services
from jiceng.accounts.models import AccountState
from jiceng.core import scope
from jiceng.core.models import RoleAssignment, User
from jiceng.orgs.models import Organization

pytestmark = pytest.mark.django_db

ROLES = ["org_admin", "secretary", "viewer", "member"]
ACTIONS = [scope.VIEW, scope.CHANGE, scope.AUDIT, scope.MANAGE]
_codes = itertools.count()


@st.composite
def scenarios(draw):
    n = draw(st.integers(min_value=1, max_value=8))
    parents = [None] + [draw(st.integers(min_value=0, max_value=i - 1)) for i in range(1, n)]
    own = draw(st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from(ROLES[:3])), max_size=3))
    grants = draw(st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from(ROLES)), min_size=1, max_size=6))
    passed_on = draw(st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from(ROLES)), max_size=4))
    return parents, own, grants, passed_on


def _tree(parents: list[int | None]) -> list[Organization]:
    has_children = {p for p in parents if p is not None}
    nodes: list[Organization] = []
    for i, parent in enumerate(parents):
        fields = {
            "code": f"T{next(_codes)}",
            "name": f"组织{i}",
            "kind": "committee" if i in has_children else "branch",
            "unit_kind": "community",
        }
        node = (
            Organization.objects.add_root(fields)
            if parent is None
            else Organization.objects.add_child(nodes[parent], fields)
        )
        nodes.append(node)
        if parent is not None:
            nodes[parent].refresh_from_db()
    return nodes


def _attempt(*, actor: User, user: User, org: Organization, role: str, manage: tuple[str, ...]) -> bool:
    """Grant, and check the outcome against the rule: allowed exactly inside ``manage``, to an account
    the actor manages (one of their subtree; any other answers 404 as if it did not exist)."""
    visible = selectors.visible_users(actor).filter(pk=user.pk).exists()
    try:
        services.grant_role(actor=actor, user=user, org=org, role=role)
    except (Http404, PermissionDenied):
        assert not visible or not scope.covers(manage, org.path), "refused inside the granter's subtree"
        return False
    except ValidationError as e:
        codes = {err.code for errors in e.error_dict.values() for err in errors}
        # Inside the subtree only the role's own conditions refuse a grant.
        expected = set()
        if role in ("secretary", "member") and org.kind != "branch":
            expected.add("not_branch")
        elif role == "member":
            expected.add("member_elsewhere")
        if RoleAssignment.objects.filter(user=user, org=org, role=role).exists():
            expected.add("role_held")
        assert codes and codes <= expected, (codes, expected)
        return False
    assert visible and scope.covers(manage, org.path), "granted outside the granter's manage subtree"
    return True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=scenarios())
def test_granting_never_exceeds_the_granters_scope(db, scenario):
    parents, own, grants, passed_on = scenario
    with transaction.atomic():
        nodes = _tree(parents)
        granter = User.objects.create_user(f"g{next(_codes)}", full_name="授权人")
        for index, role in own:
            if role == "secretary" and nodes[index].kind != "branch":
                continue
            RoleAssignment.objects.get_or_create(user=granter, org=nodes[index], role=role)
        manage = scope.paths_for(granter, scope.MANAGE)
        grantee = User.objects.create_user(f"u{next(_codes)}", full_name="被授权人")
        third = User.objects.create_user(f"t{next(_codes)}", full_name="转授对象")
        # The accounts live under the granter's first managed organization (if any), so that they are
        # the granter's to manage; without the manage right nothing may be granted at all.
        home = Organization.objects.filter(path__in=manage).first()
        for account in (grantee, third):
            AccountState.objects.create(user=account, home_org=home)
        for index, role in grants:
            _attempt(actor=granter, user=grantee, org=nodes[index], role=role, manage=manage)
        scope.forget(grantee)
        grantee_manage = scope.paths_for(grantee, scope.MANAGE)
        for index, role in passed_on:
            _attempt(actor=grantee, user=third, org=nodes[index], role=role, manage=grantee_manage)
        for account in (grantee, third):
            scope.forget(account)
            for action in ACTIONS:
                for path in scope.paths_for(account, action):
                    assert scope.covers(manage, path), (account.username, action, path, manage)
        transaction.set_rollback(True)
