"""A moved subtree takes its records along: who may read a meeting, a development file, a task's
answer or the change record follows the tree of today (core.moves), and task counts are rebuilt."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from jiceng.core.models import ObjectChange, RoleAssignment, User
from jiceng.life import services as life
from jiceng.life.models import Meeting
from jiceng.members.models import Member
from jiceng.orgs import services as orgs
from jiceng.tasks import services as tasks
from jiceng.tasks.models import Assignment, TaskTally


def _general_admin(world: Any) -> User:
    user = User.objects.create_user("gadmin", password="x-unused-9", full_name="总支组织委员")
    RoleAssignment.objects.create(user=user, org=world.general, role="org_admin")
    return user


def _meeting(world: Any, org: Any) -> Meeting:
    return life.record_meeting(
        actor=world.county_admin,
        org=org,
        kind="committee_meeting",
        held_on=timezone.localdate() - dt.timedelta(days=3),
        topic="研究发展党员工作",
        expected=3,
        present=3,
    )


def test_records_follow_a_branch_moved_into_another_committee(world: Any, client: Any) -> None:
    gadmin = _general_admin(world)
    meeting = _meeting(world, world.branch_b)
    assert not Meeting.objects.restrict(gadmin).filter(pk=meeting.pk).exists()
    task = tasks.issue_task(
        actor=world.county_admin,
        issuer=world.root,
        title="报送学习情况",
        deadline=timezone.localdate() + dt.timedelta(days=10),
        target="all_branches",
        answer_kind="text",
    )

    orgs.move_org(actor=world.county_admin, org=world.branch_b, new_parent=world.general)
    world.branch_b.refresh_from_db()

    # Rows of the subtree carry its new path: the new committee sees them, pages included.
    assert Meeting.objects.restrict(gadmin).filter(pk=meeting.pk).exists()
    assert set(Member.objects.restrict(gadmin).filter(org=world.branch_b)) == set(world.members_b)
    assert ObjectChange.objects.restrict(gadmin).filter(object_repr__contains="研究发展党员工作").exists()
    client.force_login(gadmin)
    assert client.get(f"/life/{meeting.pk}/").status_code == 200
    assignment = Assignment.objects.get(task=task, org=world.branch_b)
    assert assignment.org_path == world.branch_b.path
    assert assignment.depth == world.branch_b.depth

    # The task's counts: still three branches under the street, one more under the general branch.
    tallies = {t.org_id: t for t in TaskTally.objects.filter(root=task)}
    assert tallies[world.root.pk].total == 3
    assert tallies[world.general.pk].total == 2
    tasks.answer(actor=world.bob, assignment=assignment, text="已学习")
    tallies = {t.org_id: (t.total, t.answered) for t in TaskTally.objects.filter(root=task)}
    assert tallies[world.root.pk] == (3, 1)
    assert tallies[world.general.pk] == (2, 1)


def test_records_leave_the_committee_a_branch_moved_out_of(world: Any, client: Any) -> None:
    gadmin = _general_admin(world)
    meeting = _meeting(world, world.branch_c)
    task = tasks.issue_task(
        actor=gadmin,
        issuer=world.general,
        title="报送学习情况",
        deadline=timezone.localdate() + dt.timedelta(days=10),
        target="all_branches",
        answer_kind="text",
    )
    assignment = Assignment.objects.get(task=task, org=world.branch_c)
    assert Meeting.objects.restrict(gadmin).filter(pk=meeting.pk).exists()

    orgs.move_org(actor=world.county_admin, org=world.branch_c, new_parent=world.root)
    world.branch_c.refresh_from_db()

    assert not Meeting.objects.restrict(gadmin).filter(pk=meeting.pk).exists()
    assert not Member.objects.restrict(gadmin).filter(pk=world.member_c.pk).exists()
    assert not ObjectChange.objects.restrict(gadmin).filter(object_repr__contains="研究发展党员工作").exists()
    client.force_login(gadmin)
    assert client.get(f"/life/{meeting.pk}/").status_code == 404
    # The general branch's task no longer reaches a branch outside it: no counts, and an answer given
    # there counts nowhere (before, the counts went to whichever committee held the same path prefix).
    assert not TaskTally.objects.filter(root=task, total__gt=0).exists()
    assignment.refresh_from_db()
    tasks.answer(actor=world.county_admin, assignment=assignment, text="已学习")
    assert not TaskTally.objects.filter(root=task, answered__gt=0).exists()


def test_a_merge_carries_development_files_and_names_what_it_cannot_carry(world: Any) -> None:
    from django.core.exceptions import ValidationError

    from conftest import make_id
    from jiceng.core import idnumber
    from jiceng.development import services as development
    from jiceng.development.models import Development
    from jiceng.partners.models import PartnerUnit

    number = make_id(dt.date(2001, 5, 6), 777)
    applicant = development.apply(
        actor=world.bob,
        org=world.branch_b,
        id_number=number,
        on=dt.date(2026, 3, 1),
        name="钱进",
        gender=idnumber.gender_of(number),
        education="bachelor",
        category="employed",
    )
    unit = PartnerUnit.objects.create(name="新华村卫生室", kind="other", org=world.branch_b)
    # Before: the database's protection of the file surfaced as a server error.
    try:
        orgs.merge_branches(actor=world.county_admin, source=world.branch_b, target=world.branch_a)
    except ValidationError as refused:
        message = str(refused.message_dict["target"])
    else:
        raise AssertionError("a branch with a partner unit registered under it was merged away")
    assert "共建单位1" in message and "新华村党支部" in message
    assert Member.objects.filter(org=world.branch_b).count() == 3  # nothing partial: the merge rolled back

    unit.delete()
    orgs.merge_branches(actor=world.county_admin, source=world.branch_b, target=world.branch_a)
    applicant = Development.objects.get(pk=applicant.pk)
    assert (applicant.org_id, applicant.org_path) == (world.branch_a.pk, world.branch_a.path)
    assert Development.objects.restrict(world.alice).filter(pk=applicant.pk).exists()
