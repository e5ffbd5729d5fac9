"""orgs.services: the writes to the tree keep members' paths, history and the change record exact."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from jiceng.core.models import ObjectChange
from jiceng.members.models import Member, Membership
from jiceng.orgs import services
from jiceng.orgs.models import Committee, CommitteePost, Organization


def _codes(error: ValidationError, field: str) -> list[str]:
    return [e.code for e in error.error_dict[field]]


def _last_change(obj, action: str) -> ObjectChange:
    return ObjectChange.objects.filter(object_id=obj.pk, action=action).latest("id")


def test_move_takes_the_subtree_and_members_paths_follow(world):
    admin = world.county_admin
    town = services.create_org(
        actor=admin,
        parent=world.root,
        code="0104",
        name="新城片区党委",
        kind="committee",
        unit_kind="government",
    )
    services.move_org(actor=admin, org=world.general, new_parent=town)

    general = Organization.objects.get(pk=world.general.pk)
    branch_c = Organization.objects.get(pk=world.branch_c.pk)
    assert Organization.objects.get_parent(general) == town
    assert branch_c.path.startswith(general.path) and general.path.startswith(town.path)
    member = Member.objects.get(pk=world.member_c.pk)
    assert member.org_path == branch_c.path
    # Everything else stays where it was.
    assert {m.org_path for m in Member.objects.filter(org=world.branch_a)} == {world.branch_a.path}

    change = _last_change(general, ObjectChange.Action.MOVE)
    assert change.prechange_data["parent"] == "01"
    assert change.postchange_data == {"parent": "0104", "path": general.path}
    assert change.user_name == "county"


def test_move_under_own_subtree_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        services.move_org(actor=world.county_admin, org=world.general, new_parent=world.branch_c)
    assert _codes(caught.value, "parent") == ["cycle"]
    assert Organization.objects.get(pk=world.general.pk).path == world.general.path
    assert not ObjectChange.objects.filter(action=ObjectChange.Action.MOVE).exists()


def test_move_under_a_branch_is_refused_by_kind(world):
    with pytest.raises(ValidationError) as caught:
        services.move_org(actor=world.county_admin, org=world.branch_c, new_parent=world.branch_a)
    assert _codes(caught.value, "parent") == ["parent_kind"]


def test_merge_moves_members_with_history_and_removes_the_source(world):
    on = dt.date(2025, 6, 30)
    # Registered in the fixture today: their periods in the branch start, as recorded, before the day.
    Membership.objects.filter(org=world.branch_b).update(started_on=dt.date(2010, 7, 1))
    moved = services.merge_branches(
        actor=world.county_admin, source=world.branch_b, target=world.branch_a, on=on
    )

    assert moved == 3
    assert not Organization.objects.filter(pk=world.branch_b.pk).exists()
    for member in world.members_b:
        member.refresh_from_db()
        assert member.org_id == world.branch_a.pk and member.org_path == world.branch_a.path
        closed = Membership.objects.get(member=member, org_code="0102")
        assert (closed.ended_on, closed.end_reason) == (on, Membership.Reason.MERGE)
        current = Membership.objects.get(member=member, ended_on__isnull=True)
        assert (current.org_id, current.started_on, current.start_reason) == (
            world.branch_a.pk,
            on,
            Membership.Reason.MERGE,
        )
        # Each member's move is in the change record, with the branch before and after.
        update = _last_change(member, ObjectChange.Action.UPDATE)
        assert update.prechange_data["org"] == world.branch_b.pk
        assert update.postchange_data["org"] == world.branch_a.pk

    merge = _last_change(world.branch_a, ObjectChange.Action.MERGE)
    assert merge.prechange_data["source"] == "0102"
    assert merge.postchange_data == {"target": "0101", "moved_members": 3}
    deleted = ObjectChange.objects.get(action=ObjectChange.Action.DELETE, object_id=world.branch_b.pk)
    assert deleted.prechange_data["code"] == "0102"


def test_merge_refuses_a_non_branch(world):
    with pytest.raises(ValidationError) as caught:
        services.merge_branches(actor=world.county_admin, source=world.general, target=world.branch_a)
    assert _codes(caught.value, "target") == ["not_branch"]
    assert Organization.objects.filter(pk=world.general.pk).exists()


def test_split_creates_a_sibling_and_moves_the_chosen_members(world):
    chosen = world.members_a[3:5]
    new = services.split_branch(
        actor=world.county_admin,
        source=world.branch_a,
        code="0105",
        name="和平社区第二党支部",
        members=chosen,
    )

    assert Organization.objects.get_parent(new) == world.root
    assert (new.kind, new.unit_kind) == ("branch", "community")
    assert set(Member.objects.filter(org=new)) == set(chosen)
    assert Member.objects.filter(org=world.branch_a).count() == 4
    for member in chosen:
        current = Membership.objects.get(member=member, ended_on__isnull=True)
        assert (current.org_code, current.start_reason) == ("0105", Membership.Reason.SPLIT)
    split = _last_change(world.branch_a, ObjectChange.Action.SPLIT)
    assert split.postchange_data == {"new_branch": "0105", "moved_members": 2}
    assert _last_change(new, ObjectChange.Action.CREATE).postchange_data["code"] == "0105"


def test_split_refuses_members_of_another_branch(world):
    with pytest.raises(ValidationError) as caught:
        services.split_branch(
            actor=world.county_admin,
            source=world.branch_a,
            code="0105",
            name="新支部",
            members=world.members_b[:1],
        )
    assert _codes(caught.value, "members") == ["not_in_branch"]
    assert not Organization.objects.filter(code="0105").exists()


def test_record_election_closes_the_previous_committee(world):
    alice = world.alice
    first = services.record_election(
        actor=alice,
        org=world.branch_a,
        elected_on=dt.date(2019, 5, 1),
        posts=[(world.members_a[0], "secretary")],
    )
    second = services.record_election(
        actor=alice,
        org=world.branch_a,
        elected_on=dt.date(2024, 5, 1),
        posts=[(world.members_a[1], "secretary"), (world.members_a[2], "organization_member")],
    )

    first.refresh_from_db()
    assert first.ended_on == dt.date(2024, 5, 1)
    assert world.branch_a.current_committee == second
    assert second.term_years == 5  # a community branch
    assert {(p.member_id, p.post) for p in second.posts.all()} == {
        (world.members_a[1].pk, "secretary"),
        (world.members_a[2].pk, "organization_member"),
    }
    closed = _last_change(first, ObjectChange.Action.UPDATE)
    assert (closed.prechange_data, closed.postchange_data) == ({"ended_on": None}, {"ended_on": "2024-05-01"})


def test_election_must_follow_the_previous_one(world):
    services.record_election(actor=world.alice, org=world.branch_a, elected_on=dt.date(2024, 5, 1))
    with pytest.raises(ValidationError) as caught:
        services.record_election(actor=world.alice, org=world.branch_a, elected_on=dt.date(2023, 5, 1))
    assert _codes(caught.value, "elected_on") == ["election_order"]
    assert Committee.objects.filter(org=world.branch_a).count() == 1


def test_posts_refuse_a_probationary_member(world):
    dora = Member.objects.get(user=world.dora)
    assert dora.status == "probationary"
    with pytest.raises(ValidationError) as caught:
        services.record_election(
            actor=world.alice, org=world.branch_a, elected_on=dt.date(2024, 5, 1), posts=[(dora, "secretary")]
        )
    assert _codes(caught.value, "posts") == ["post_probationary"]
    assert not Committee.objects.filter(org=world.branch_a).exists()
    assert not CommitteePost.objects.exists()


def test_posts_refuse_two_secretaries_and_strangers(world):
    a = world.members_a
    with pytest.raises(ValidationError) as caught:
        services.record_election(
            actor=world.alice,
            org=world.branch_a,
            elected_on=dt.date(2024, 5, 1),
            posts=[(a[0], "secretary"), (a[1], "secretary")],
        )
    assert _codes(caught.value, "posts") == ["two_secretaries"]
    with pytest.raises(ValidationError) as caught:
        services.record_election(
            actor=world.county_admin,
            org=world.branch_a,
            elected_on=dt.date(2024, 5, 1),
            posts=[(world.members_b[0], "secretary")],
        )
    assert _codes(caught.value, "posts") == ["post_not_member"]


def test_extension_beyond_one_year_is_refused(world):
    committee = services.record_election(
        actor=world.alice, org=world.branch_a, elected_on=dt.date(2021, 1, 10), term_years=5
    )
    with pytest.raises(ValidationError) as caught:
        services.approve_extension(
            actor=world.alice,
            committee=committee,
            extended_to=dt.date(2027, 1, 11),
            approval="街党工委〔2025〕3号",
        )
    assert _codes(caught.value, "extended_to") == ["extension_too_long"]
    committee.refresh_from_db()
    assert committee.extended_to is None

    services.approve_extension(
        actor=world.alice,
        committee=committee,
        extended_to=dt.date(2027, 1, 10),
        approval="街党工委〔2025〕3号",
    )
    committee.refresh_from_db()
    assert committee.term_ends_on == dt.date(2027, 1, 10)
    change = _last_change(committee, ObjectChange.Action.UPDATE)
    assert change.prechange_data == {"extended_to": None, "extension_approval": ""}
    assert change.postchange_data == {
        "extended_to": "2027-01-10",
        "extension_approval": "街党工委〔2025〕3号",
    }


@pytest.mark.parametrize(
    ("who", "write", "expected"),
    [
        ("alice", "move_b", Http404),  # branch_b is not even visible to alice
        ("alice", "update_b", Http404),
        ("alice", "move_a", PermissionDenied),  # visible, changeable, but not manageable
        ("alice", "create_under_a", PermissionDenied),
        ("viewer", "update_a", PermissionDenied),
        ("viewer", "group_a", PermissionDenied),
        ("bob", "election_a", Http404),
        ("charlie", "update_a", Http404),
        ("dora", "update_a", Http404),
    ],
)
def test_scope_refusals(world, who, write, expected):
    actor = getattr(world, who)
    a, b = world.branch_a, world.branch_b
    writes = {
        "move_b": lambda: services.move_org(actor=actor, org=b, new_parent=world.general),
        "update_b": lambda: services.update_org(actor=actor, org=b, name="改名"),
        "move_a": lambda: services.move_org(actor=actor, org=a, new_parent=world.general),
        "create_under_a": lambda: services.create_org(
            actor=actor, parent=a, code="010101", name="新支部", kind="branch", unit_kind="community"
        ),
        "update_a": lambda: services.update_org(actor=actor, org=a, name="改名"),
        "group_a": lambda: services.create_group(actor=actor, org=a, name="第一党小组"),
        "election_a": lambda: services.record_election(actor=actor, org=a, elected_on=dt.date(2024, 1, 1)),
    }
    before = ObjectChange.objects.count()
    with pytest.raises(expected):
        writes[write]()
    assert ObjectChange.objects.count() == before
    assert Organization.objects.get(pk=a.pk).name == "和平社区党支部"


def test_create_refuses_a_taken_code_and_a_future_date(world):
    admin = world.county_admin
    with pytest.raises(ValidationError) as caught:
        services.create_org(
            actor=admin, parent=world.root, code="0102", name="重复", kind="branch", unit_kind="community"
        )
    assert _codes(caught.value, "code") == ["code_taken"]
    with pytest.raises(ValidationError) as caught:
        services.create_org(
            actor=admin,
            parent=world.root,
            code="0104",
            name="未来支部",
            kind="branch",
            unit_kind="community",
            founded_on=dt.date.today() + dt.timedelta(days=2),
        )
    assert _codes(caught.value, "founded_on") == ["date_in_future"]
    assert not Organization.objects.filter(code="0104").exists()


def test_every_write_leaves_a_change_record_with_before_and_after(world):
    admin = world.county_admin
    org = services.create_org(
        actor=admin, parent=world.root, code="0104", name="新建支部", kind="branch", unit_kind="village"
    )
    created = _last_change(org, ObjectChange.Action.CREATE)
    assert created.prechange_data is None and created.postchange_data["name"] == "新建支部"
    assert created.org_path == org.path

    services.update_org(actor=admin, org=org, name="新建村党支部", founded_on=dt.date(2020, 1, 1))
    updated = _last_change(org, ObjectChange.Action.UPDATE)
    assert (updated.prechange_data["name"], updated.prechange_data["founded_on"]) == ("新建支部", None)
    assert (updated.postchange_data["name"], updated.postchange_data["founded_on"]) == (
        "新建村党支部",
        "2020-01-01",
    )
    assert "code" not in updated.postchange_data  # only what changed

    group = services.create_group(actor=admin, org=org, name="第一党小组")
    assert _last_change(group, ObjectChange.Action.CREATE).postchange_data["name"] == "第一党小组"

    committee = services.record_election(actor=admin, org=world.branch_b, elected_on=dt.date(2024, 3, 1))
    assert _last_change(committee, ObjectChange.Action.CREATE).postchange_data["elected_on"] == "2024-03-01"


def test_a_new_committee_takes_its_term_from_the_rule_book(world):
    """The term's default follows `org.committee_term_expired`'s parameters in force on the election day."""
    from jiceng.core.models import RuleVersion

    RuleVersion.objects.create(
        code="org.committee_term_expired",
        effective_from=dt.date(2025, 1, 1),
        params={"term_years_community_village": 4},
        citation="某省实施办法",
    )
    before = services.record_election(
        actor=world.county_admin, org=world.branch_a, elected_on=dt.date(2024, 12, 31)
    )
    after = services.record_election(
        actor=world.county_admin, org=world.branch_a, elected_on=dt.date(2025, 1, 1)
    )
    assert (before.term_years, after.term_years) == (5, 4)  # a 社区 branch
    other = services.record_election(
        actor=world.county_admin, org=world.branch_c, elected_on=dt.date(2025, 3, 1)
    )
    assert other.term_years == 3  # 机关: unchanged parameter
