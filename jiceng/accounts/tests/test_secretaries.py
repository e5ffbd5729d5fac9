"""Accounts that follow posts: the bulk accounts equal the recorded secretaries, the sheet of one-time
passwords, and the secretary role moving with the post (election, by-election, the committee-less
secretary set or cleared, transfer, import)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from openpyxl import load_workbook

from jiceng.accounts import selectors, services
from jiceng.accounts.models import AccountState, AdminNotice, CredentialSheet, SecretaryHolder
from jiceng.core.models import ObjectChange, RoleAssignment, User
from jiceng.members import services as members
from jiceng.orgs import services as orgs
from jiceng.orgs.models import Organization

from .helpers import committed, elect

pytestmark = pytest.mark.django_db


def _roles(user, role="secretary"):
    return set(RoleAssignment.objects.filter(user=user, role=role).values_list("org__code", flat=True))


def _sheet_rows(xlsx: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(xlsx)).active
    rows = list(sheet.iter_rows(values_only=True))
    return [r for r in rows[1:] if r and r[3]]


def test_bulk_accounts_equal_the_recorded_secretaries(world):
    # Branch A: a committee whose secretary (王芳) has no account; branch B: committee-less, 周杰
    # recorded as its secretary; branch C: none recorded.
    wang = world.members_a[1]
    with committed():
        elect(world, secretary=wang, others=[world.members_a[2]])
        orgs.set_secretary(
            actor=world.county_admin, org=world.branch_b, member=world.members_b[1], since=dt.date(2025, 1, 1)
        )
    result = services.create_secretary_accounts(actor=world.county_admin, org=world.root)
    recorded = selectors.recorded_secretaries(Organization.objects.all())
    assert {s.member_id for s in recorded.values()} == {wang.pk, world.members_b[1].pk}
    rows = _sheet_rows(result.xlsx)
    assert sorted((r[0], r[2]) for r in rows) == [("0101", "王芳"), ("0102", "周杰")]
    for code, _branch, name, username, password in rows:
        user = User.objects.get(username=username)
        assert user.member.name == name and user.check_password(password)
        assert _roles(user) == {code} and _roles(user, "member") == {code}
        assert AccountState.objects.get(user=user).must_change_password
    assert {r[3] for r in rows} == {"wangfang", "zhoujie"}
    # The sheet was made once and recorded, without any password.
    sheet = CredentialSheet.objects.get()
    assert sheet.accounts == 2 and sheet.created_by == world.county_admin
    export = ObjectChange.objects.get(action="export", object_id=sheet.pk)
    assert all(r[4] not in str(export.postchange_data) for r in rows)
    # A second run has nothing to create: no second sheet.
    with pytest.raises(ValidationError) as caught:
        services.create_secretary_accounts(actor=world.county_admin, org=world.root)
    assert caught.value.error_dict["org"][0].code == "nothing_to_create"
    assert CredentialSheet.objects.count() == 1


def test_bulk_grants_the_role_to_a_recorded_secretary_who_already_has_an_account(world):
    elect(world, secretary=world.members_a[0])  # 张伟 is alice
    RoleAssignment.objects.filter(user=world.alice, role="secretary").delete()
    result = services.create_secretary_accounts(actor=world.county_admin, org=world.branch_a)
    assert result.xlsx is None and result.roles_granted == 1
    assert _roles(world.alice) == {"0101"}


def test_bulk_accounts_stay_in_the_admins_subtree(world):
    branch_admin = User.objects.create_user("ga", full_name="总支管理员")
    RoleAssignment.objects.create(user=branch_admin, org=world.general, role="org_admin")
    orgs.set_secretary(
        actor=world.county_admin, org=world.branch_b, member=world.members_b[0], since=dt.date(2025, 1, 1)
    )
    with pytest.raises(Http404):
        services.create_secretary_accounts(actor=branch_admin, org=world.root)
    with pytest.raises(ValidationError):  # nothing recorded in its own subtree
        services.create_secretary_accounts(actor=branch_admin, org=world.general)
    assert not User.objects.filter(username="sunqiang").exists()


def test_login_names_do_not_clash(world):
    User.objects.create_user("wangfang", full_name="另一个王芳")
    elect(world, secretary=world.members_a[1])
    result = services.create_secretary_accounts(actor=world.county_admin, org=world.root)
    assert [a.username for a in result.accounts] == ["wangfang2"]


def test_an_election_moves_the_role_and_leaves_a_notice(world):
    with committed():
        elect(world, secretary=world.members_a[0], on=dt.date(2021, 1, 10))  # 张伟 (alice) is secretary
    assert SecretaryHolder.objects.get(org=world.branch_a).user == world.alice
    RoleAssignment.objects.get_or_create(user=world.alice, org=world.branch_a, role="member")
    successor = world.members_a[1]
    new_user, _ = services.create_user(
        actor=world.county_admin, username="wf", full_name="", org=world.branch_a, member=successor
    )
    AdminNotice.objects.all().delete()
    with committed():
        elect(world, secretary=successor, on=dt.date(2024, 1, 10), actor=world.alice)
    assert _roles(world.alice) == set() and _roles(world.alice, "member") == {"0101"}
    assert _roles(new_user) == {"0101"}
    notice = AdminNotice.objects.get()
    assert (notice.outgoing_name, notice.incoming_name) == ("张伟", "王芳")
    assert notice.outgoing_user == world.alice and notice.incoming_user == new_user
    assert notice in selectors.open_notices(world.county_admin)
    assert not selectors.open_notices(world.alice).exists()
    # Both moves are audited, filed under the user who recorded the election.
    moved = ObjectChange.objects.filter(message__startswith="书记职务变动")
    assert {(c.action, c.user) for c in moved} == {("delete", world.alice), ("create", world.alice)}


def test_a_new_secretary_without_an_account_is_noticed(world):
    with committed():
        pass  # the branches are known (their holders exist), without a secretary
    assert not AdminNotice.objects.exists()
    with committed():
        orgs.set_secretary(
            actor=world.county_admin, org=world.branch_b, member=world.members_b[2], since=dt.date(2025, 1, 1)
        )
    notice = AdminNotice.objects.get(org=world.branch_b)
    assert notice.incoming_name == "吴霞" and notice.incoming_user is None
    # Bob (孙强's account in the fixture) was never secretary by post: his role is left alone.
    assert _roles(world.bob) == {"0102"}


def test_clearing_the_committee_less_secretary_withdraws_the_role(world):
    sun = world.members_b[0]
    sun.user = world.bob
    sun.save(update_fields=["user"])
    with committed():
        orgs.set_secretary(
            actor=world.county_admin, org=world.branch_b, member=sun, since=dt.date(2025, 1, 1)
        )
    assert SecretaryHolder.objects.get(org=world.branch_b).user == world.bob
    with committed():
        orgs.set_secretary(actor=world.county_admin, org=world.branch_b, member=None, since=None)
    assert _roles(world.bob) == set()
    assert _roles(world.bob, "member") == {"0102"}  # keeps (here: gains) the member role
    assert AdminNotice.objects.filter(org=world.branch_b, incoming_name="", outgoing_name="孙强").exists()


def test_a_transfer_takes_the_role_away_and_the_member_role_along(world):
    with committed():
        elect(world, secretary=world.members_a[0], on=dt.date(2021, 1, 10))
    RoleAssignment.objects.get_or_create(user=world.alice, org=world.branch_a, role="member")
    with committed():
        members.transfer_member(actor=world.county_admin, member=world.members_a[0], to_org=world.branch_b)
    assert _roles(world.alice) == set()
    assert _roles(world.alice, "member") == {"0102"}
    assert SecretaryHolder.objects.get(org=world.branch_a).member is None


def test_a_by_election_moves_the_role(world):
    with committed():
        committee = elect(
            world, secretary=world.members_a[0], others=[world.members_a[1]], on=dt.date(2021, 1, 10)
        )
    wf, _ = services.create_user(
        actor=world.county_admin, username="wf", full_name="", org=world.branch_a, member=world.members_a[1]
    )
    with committed():
        orgs.set_posts(
            actor=world.county_admin, committee=committee, posts=[(world.members_a[1], "secretary")]
        )
    assert _roles(world.alice) == set() and _roles(wf) == {"0101"}


def test_a_role_withdrawn_by_hand_is_not_granted_again_until_the_post_changes(world):
    with committed():
        elect(world, secretary=world.members_a[0], on=dt.date(2021, 1, 10))
    services.withdraw_role(
        actor=world.county_admin, assignment=RoleAssignment.objects.get(user=world.alice, role="secretary")
    )
    with committed():
        members.update_member(actor=world.county_admin, member=world.members_a[0], phone="13800000000")
    assert _roles(world.alice) == set()


def test_an_import_that_changes_the_secretary_moves_the_role(world, tmp_path):
    from jiceng.roster.importer import imported

    with committed():
        elect(world, secretary=world.members_a[0], on=dt.date(2021, 1, 10))
    # What the import writes, without model signals; then its signal on commit.
    from jiceng.orgs.models import CommitteePost

    CommitteePost.objects.filter(post="secretary").update(member=world.members_a[3])
    imported.send(sender=None, org_paths=(world.root.path,))
    assert _roles(world.alice) == set()
    assert AdminNotice.objects.filter(incoming_name="刘洋").exists()
