"""Who a meeting calls: a 支委会 the committee in office on its day (or the secretary of a branch without
one), a 党小组会 its group, any other kind the whole branch."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse

from conftest import _member
from jiceng.core.testing import page
from jiceng.life import selectors, services
from jiceng.life.forms import MeetingForm
from jiceng.members.models import Member
from jiceng.orgs import services as org_services

from .factories import branch_members, days_ago


def big_branch(world) -> list[Member]:  # noqa: ANN001
    """和平社区党支部 grown to 21 members."""
    root = world.county_admin
    for seq in range(100, 115):
        _member(root, world.branch_a, seq, f"党员{seq}")
    people = branch_members(world.branch_a)
    assert len(people) == 21
    # Only full members hold posts; the probationary 赵敏 goes last.
    return sorted(people, key=lambda m: m.status != "full")


def elect(world, on: dt.date, people: list[Member]) -> None:  # noqa: ANN001
    posts = [(people[0], "secretary"), (people[1], "organization_member"), (people[2], "publicity_member")]
    org_services.record_election(actor=world.county_admin, org=world.branch_a, elected_on=on, posts=posts)


def test_committee_in_office_follows_the_meeting_day(world) -> None:  # noqa: ANN001
    people = big_branch(world)
    elect(world, dt.date(2020, 5, 1), people[:3])
    elect(world, dt.date(2025, 5, 1), people[3:6])
    branch = world.branch_a
    assert selectors.committee_in_office(branch, dt.date(2020, 4, 30)) == set()
    assert selectors.committee_in_office(branch, dt.date(2024, 1, 1)) == {m.pk for m in people[:3]}
    assert selectors.committee_in_office(branch, dt.date(2025, 5, 1)) == {m.pk for m in people[3:6]}
    call = selectors.roll_call_for(branch, kind="committee_meeting", on=dt.date(2024, 1, 1))
    assert {m.pk for m in call} == {m.pk for m in people[:3]}
    assert len(selectors.roll_call_for(branch, kind="theme_day", on=dt.date(2024, 1, 1))) == 21


def test_a_branch_without_committee_calls_its_secretary(world) -> None:  # noqa: ANN001
    people = branch_members(world.branch_a)
    org_services.set_secretary(
        actor=world.county_admin, org=world.branch_a, member=people[0], since=dt.date(2022, 1, 1)
    )
    world.branch_a.refresh_from_db()
    assert selectors.committee_in_office(world.branch_a, dt.date(2023, 1, 1)) == {people[0].pk}
    assert selectors.committee_in_office(world.branch_a, dt.date(2021, 1, 1)) == set()


def test_group_meeting_calls_the_group(world) -> None:  # noqa: ANN001
    from jiceng.members import services as member_services

    people = branch_members(world.branch_a)
    group = org_services.create_group(actor=world.county_admin, org=world.branch_a, name="第一党小组")
    for m in people[:2]:
        member_services.set_group(actor=world.county_admin, member=m, group=group)
    call = selectors.roll_call_for(world.branch_a, kind="group_meeting", on=days_ago(1), group=group)
    assert {m.pk for m in call} == {m.pk for m in people[:2]}


def test_a_committee_meeting_records_only_the_committee(world) -> None:  # noqa: ANN001
    people = big_branch(world)
    elect(world, dt.date(2024, 5, 1), people[:3])
    data = {"kind": "committee_meeting", "held_on": days_ago(1).isoformat(), "topic": "研究发展党员"}
    for m in people:
        data[f"presence_{m.pk}"] = "present"
    roll_call = selectors.roll_call(world.branch_a)
    form = MeetingForm(data, branch=world.branch_a, roll_call=roll_call)
    assert form.is_valid(), form.errors
    attendance = form.attendance()
    assert {m.pk for m in attendance} == {m.pk for m in people[:3]}
    meeting = services.record_meeting(
        actor=world.county_admin, org=world.branch_a, attendance=attendance, **form.service_fields()
    )
    assert meeting.attendance.count() == 3


def listed_rows(text: str) -> list[str]:
    rows = re.findall(
        r'<li class="([^"]*)"\s+data-life-member[^>]*>\s*<span id="member-\d+-name">\s*([^<\s]+)', text
    )
    return [name for cls, name in rows if "d-none" not in cls]


def test_the_committee_meeting_page_lists_only_the_committee(world, client_for) -> None:  # noqa: ANN001
    people = big_branch(world)
    elect(world, dt.date(2024, 5, 1), people[:3])
    client = client_for(world.alice)
    url = reverse("life:create") + f"?org={world.branch_a.code}"
    text = page(client.get(url + "&kind=committee_meeting"))
    assert sorted(listed_rows(text)) == sorted(m.name for m in people[:3])
    assert text.count('data-committee="1"') == 3
    assert len(listed_rows(page(client.get(url + "&kind=theme_day")))) == 21


def test_a_committee_without_recorded_posts_lists_the_whole_branch(world) -> None:  # noqa: ANN001
    org_services.record_election(actor=world.county_admin, org=world.branch_a, elected_on=dt.date(2024, 5, 1))
    call = selectors.roll_call_for(world.branch_a, kind="committee_meeting", on=days_ago(1))
    assert len(call) == len(branch_members(world.branch_a))
