"""User management in jiceng's own pages and API: an organization admin over their subtree creates
accounts with a one-time password, grants and withdraws roles, resets passwords, deactivates; all
audited, nothing outside the subtree reachable."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from jiceng.accounts import selectors, services
from jiceng.accounts.models import AccountState
from jiceng.core.models import ObjectChange, RoleAssignment, User
from jiceng.orgs import services as orgs

pytestmark = pytest.mark.django_db


def test_create_user_gives_a_one_time_password_that_is_never_stored_or_recorded(world):
    user, password = services.create_user(
        actor=world.county_admin, username="lisi", full_name="李四", org=world.branch_b, role="viewer"
    )
    assert len(password) == services.PASSWORD_LENGTH
    assert user.check_password(password)
    assert AccountState.objects.get(user=user).must_change_password
    assert RoleAssignment.objects.filter(user=user, org=world.branch_b, role="viewer").exists()
    records = ObjectChange.objects.filter(request_id__isnull=False)
    assert records.filter(object_repr="lisi", action="create").exists()
    dump = " ".join(str((r.prechange_data, r.postchange_data, r.message)) for r in records)
    assert password not in dump and user.password not in dump
    # Filed under the branch: the street's admin finds it in the audit search.
    assert ObjectChange.objects.filter(object_repr="lisi", org_path=world.branch_b.path).exists()


def test_create_user_for_a_member_links_the_record_and_grants_the_member_role(world):
    member = world.members_a[1]
    user, _password = services.create_user(
        actor=world.county_admin, username="wangfang", full_name="", org=world.branch_a, member=member
    )
    member.refresh_from_db()
    assert member.user == user and user.full_name == member.name
    assert RoleAssignment.objects.filter(user=user, org=world.branch_a, role="member").exists()


@pytest.mark.parametrize(
    ("username", "code"),
    [("", "required"), ("alice", "username_taken"), ("ALICE", "username_taken"), ("a b", "username_invalid")],
)
def test_bad_login_names_are_refused_naming_the_field(world, username, code):
    with pytest.raises(ValidationError) as caught:
        services.create_user(actor=world.county_admin, username=username, full_name="某人", org=world.root)
    assert caught.value.error_dict["username"][0].code == code
    assert not User.objects.filter(full_name="某人").exists()


def test_a_secretary_cannot_manage_accounts(world):
    with pytest.raises(PermissionDenied):  # the branch is visible to its secretary: 403, not 404
        services.create_user(actor=world.alice, username="x1", full_name="某人", org=world.branch_a)
    with pytest.raises(Http404):
        services.create_user(actor=world.alice, username="x1", full_name="某人", org=world.branch_b)
    assert list(selectors.visible_users(world.alice)) == []


def test_roles_are_granted_only_inside_the_granters_manage_subtree(world):
    branch_admin = User.objects.create_user("ga", full_name="总支管理员")
    RoleAssignment.objects.create(user=branch_admin, org=world.general, role="org_admin")
    user, _ = services.create_user(actor=branch_admin, username="cz1", full_name="财政", org=world.branch_c)
    services.grant_role(actor=branch_admin, user=user, org=world.branch_c, role="secretary")
    with pytest.raises(Http404):  # branch A is not even visible to the general branch's admin
        services.grant_role(actor=branch_admin, user=user, org=world.branch_a, role="viewer")
    with pytest.raises(Http404):  # above the granter
        services.grant_role(actor=branch_admin, user=user, org=world.root, role="viewer")
    with pytest.raises(ValidationError) as caught:
        services.grant_role(actor=branch_admin, user=user, org=world.general, role="secretary")
    assert caught.value.error_dict["org"][0].code == "not_branch"
    with pytest.raises(ValidationError) as caught:  # no member record in that branch
        services.grant_role(actor=branch_admin, user=user, org=world.branch_c, role="member")
    assert caught.value.error_dict["role"][0].code == "member_elsewhere"
    with pytest.raises(ValidationError) as caught:
        services.grant_role(actor=branch_admin, user=user, org=world.branch_c, role="secretary")
    assert caught.value.error_dict["role"][0].code == "role_held"


def test_an_account_outside_the_subtree_is_not_found(world):
    branch_admin = User.objects.create_user("ga", full_name="总支管理员")
    RoleAssignment.objects.create(user=branch_admin, org=world.general, role="org_admin")
    with pytest.raises(Http404):
        services.grant_role(actor=branch_admin, user=world.bob, org=world.branch_c, role="viewer")
    with pytest.raises(Http404):
        services.reset_password(actor=branch_admin, user=world.bob)
    visible = set(selectors.visible_users(world.county_admin).values_list("username", flat=True))
    assert {"alice", "bob", "dora", "viewer"} <= visible
    assert "charlie" not in visible and "root" not in visible  # no role, and the system administrator


def test_withdraw_role_and_never_ones_own_admin_role(world):
    assignment = RoleAssignment.objects.get(user=world.bob, role="secretary")
    services.withdraw_role(actor=world.county_admin, assignment=assignment)
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert ObjectChange.objects.filter(
        action="delete", message="撤销角色", org_path=world.branch_b.path
    ).exists()
    own = RoleAssignment.objects.get(user=world.county_admin, role="org_admin")
    with pytest.raises(ValidationError) as caught:
        services.withdraw_role(actor=world.county_admin, assignment=own)
    assert caught.value.error_dict["role"][0].code == "own_admin_role"
    assert RoleAssignment.objects.filter(pk=own.pk).exists()


def test_reset_and_deactivate_need_the_whole_account_in_the_subtree(world):
    branch_admin = User.objects.create_user("ga", full_name="总支管理员")
    RoleAssignment.objects.create(user=branch_admin, org=world.general, role="org_admin")
    wide = User.objects.create_user("wide", full_name="跨范围")
    RoleAssignment.objects.create(user=wide, org=world.branch_c, role="viewer")
    RoleAssignment.objects.create(user=wide, org=world.branch_a, role="viewer")
    assert wide in selectors.visible_users(branch_admin)
    with pytest.raises(PermissionDenied):
        services.reset_password(actor=branch_admin, user=wide)
    with pytest.raises(PermissionDenied):
        services.set_active(actor=branch_admin, user=wide, active=False)
    password = services.reset_password(actor=world.county_admin, user=wide)
    wide.refresh_from_db()
    assert wide.check_password(password) and AccountState.objects.get(user=wide).must_change_password
    services.set_active(actor=world.county_admin, user=wide, active=False)
    wide.refresh_from_db()
    assert not wide.is_active
    assert ObjectChange.objects.filter(message="停用账号", postchange_data={"is_active": False}).exists()


def test_reset_ends_the_accounts_api_tokens(world):
    from jiceng.core import tokens
    from jiceng.core.models import ApiToken as Token

    tokens.issue(user=world.bob)
    services.reset_password(actor=world.county_admin, user=world.bob)
    assert not Token.objects.filter(user=world.bob).exists()


def test_an_account_moved_out_keeps_visible_only_where_it_still_has_something(world):
    user, _ = services.create_user(
        actor=world.county_admin, username="tmp1", full_name="临时", org=world.branch_c
    )
    branch_admin = User.objects.create_user("ga", full_name="总支管理员")
    RoleAssignment.objects.create(user=branch_admin, org=world.general, role="org_admin")
    assert user in selectors.visible_users(branch_admin)  # created under 010301: its home
    orgs.move_org(actor=world.county_admin, org=world.branch_c, new_parent=world.root)
    assert user not in selectors.visible_users(branch_admin)


def test_one_time_passwords_use_light_argon2_that_the_ordinary_hasher_verifies(world, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    password = services.reset_password(actor=world.county_admin, user=world.bob)
    world.bob.refresh_from_db()
    assert world.bob.password.startswith("argon2$argon2id$v=19$m=8192,t=1,p=1$")
    assert world.bob.check_password(password)
    # Verified once, it is hashed again with the installation's full parameters.
    world.bob.refresh_from_db()
    assert not world.bob.password.startswith("argon2$argon2id$v=19$m=8192,")
