"""Lost updates (issue 11, item 6): a write based on a version the record has moved past is refused,
names the other change, and writes nothing; without a version the services behave as before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404

from jiceng.core import concurrency
from jiceng.core.concurrency import StaleWrite
from jiceng.core.models import ObjectChange
from jiceng.development import services as development_services
from jiceng.development.tests.helpers import person
from jiceng.life import services as life_services
from jiceng.members import services as member_services
from jiceng.members.models import Member
from jiceng.members.tests.test_pages import edit_data
from jiceng.orgs import services as org_services

pytestmark = pytest.mark.django_db


def test_second_save_from_the_same_version_is_refused_and_names_the_first(world) -> None:  # noqa: ANN001
    member = world.members_a[0]
    seen = concurrency.version_of(member)
    # Two people opened the edit form on the same version; the county admin saves first.
    member_services.update_member(actor=world.county_admin, member=member, version=seen, name="王建国")
    changes_before = ObjectChange.objects.count()
    with pytest.raises(StaleWrite) as refused:
        member_services.update_member(
            actor=world.alice, member=member, version=seen, education="postgraduate"
        )
    member.refresh_from_db()
    assert (member.name, member.education) == ("王建国", "bachelor")  # the first change stands
    assert ObjectChange.objects.count() == changes_before  # nothing of the second was written
    message = refused.value.messages[0]
    assert "此记录已被他人修改" in message
    assert world.county_admin.username in message and "姓名" in message
    [change] = refused.value.changes
    assert change["user"] == world.county_admin.username
    assert change["fields"] == [{"field": "name", "label": "姓名", "value": "王建国"}]


def test_a_save_from_the_current_version_goes_through(world) -> None:  # noqa: ANN001
    member = world.members_a[0]
    member_services.update_member(actor=world.county_admin, member=member, name="王建国")
    current = concurrency.version_of(member)
    member_services.update_member(actor=world.alice, member=member, version=current, education="postgraduate")
    member.refresh_from_db()
    assert (member.name, member.education) == ("王建国", "postgraduate")
    assert concurrency.version_of(member) != current  # the save moved the version on


def test_an_unchanged_save_keeps_the_version(world) -> None:  # noqa: ANN001
    member = world.members_a[0]
    seen = concurrency.version_of(member)
    member_services.update_member(actor=world.alice, member=member, version=seen, name=member.name)
    assert concurrency.version_of(member) == seen


def test_without_a_version_there_is_no_check(world) -> None:  # noqa: ANN001
    member = world.members_a[0]
    member_services.update_member(actor=world.county_admin, member=member, name="王建国")
    member_services.update_member(actor=world.alice, member=member, education="postgraduate")
    member.refresh_from_db()
    assert (member.name, member.education) == ("王建国", "postgraduate")


@pytest.mark.parametrize("version", ["abc", "-1", "１２", "9" * 30, ""])
def test_a_version_that_is_not_ours_is_refused(world, version: str) -> None:  # noqa: ANN001
    member = world.members_a[0]
    with pytest.raises(StaleWrite):
        member_services.update_member(actor=world.alice, member=member, version=version, name="王建国")
    assert Member.objects.get(pk=member.pk).name != "王建国"


def test_out_of_scope_writer_learns_nothing_of_the_change(world) -> None:  # noqa: ANN001
    member = world.members_a[0]
    seen = concurrency.version_of(member)
    member_services.update_member(actor=world.county_admin, member=member, version=seen, name="王建国")
    with pytest.raises(Http404):  # bob's branch is another: not found, never "changed by …"
        member_services.update_member(actor=world.bob, member=member, version=seen, name="李四")


def test_organization_meeting_and_development_file_are_checked_too(world) -> None:  # noqa: ANN001
    org = world.branch_a
    seen = concurrency.version_of(org)
    org_services.update_org(actor=world.county_admin, org=org, version=seen, name="和平社区第一党支部")
    with pytest.raises(StaleWrite):
        org_services.update_org(actor=world.alice, org=org, version=seen, name="和平社区第二党支部")
    org.refresh_from_db()
    assert org.name == "和平社区第一党支部"

    meeting = life_services.record_meeting(
        actor=world.alice, org=org, kind="committee_meeting", held_on=dt.date(2026, 3, 5), topic="学习"
    )
    seen = concurrency.version_of(meeting)
    life_services.update_meeting(actor=world.county_admin, meeting=meeting, version=seen, topic="学习党章")
    with pytest.raises(StaleWrite):
        life_services.update_meeting(actor=world.alice, meeting=meeting, version=seen, place="会议室")
    meeting.refresh_from_db()
    assert (meeting.topic, meeting.place) == ("学习党章", "")

    development = development_services.apply(actor=world.alice, org=org, on=dt.date(2026, 1, 5), **person(1))
    seen = concurrency.version_of(development)
    development_services.update_person(
        actor=world.county_admin, development=development, version=seen, name="赵六"
    )
    with pytest.raises(StaleWrite):
        development_services.update_person(
            actor=world.alice, development=development, version=seen, name="钱七"
        )
    development.refresh_from_db()
    assert development.name == "赵六"


# Pages and API ------------------------------------------------------------------------------------------


def test_two_edit_forms_on_one_member_the_second_save_is_refused_then_applies(world, client_for) -> None:  # noqa: ANN001
    member = world.members_a[0]
    admin, alice = client_for(world.county_admin), client_for(world.alice)
    url = f"/members/{member.pk}/edit/"
    seen = concurrency.version_of(member)
    assert f'name="version" value="{seen}"' in alice.get(url).content.decode()

    def form(**changes: str) -> dict[str, str]:
        return edit_data(Member.objects.get(pk=member.pk), version=seen, **changes)

    first = form(name="王建国")
    assert admin.post(url, first).status_code == 302
    second = {**first, "name": member.name, "education": "postgraduate"}  # alice's form, opened before
    response = alice.post(url, second)
    page = response.content.decode()
    assert response.status_code == 200 and "此记录已被他人修改" in page and "姓名" in page
    assert Member.objects.get(pk=member.pk).name == "王建国"  # nothing of alice's was saved
    current = concurrency.version_of(member)
    assert f'name="version" value="{current}"' in page  # she has now seen the change
    assert alice.post(url, {**second, "version": current}).status_code == 302
    assert Member.objects.get(pk=member.pk).education == "postgraduate"


def test_the_api_gives_an_etag_and_refuses_a_stale_if_match(world, api) -> None:  # noqa: ANN001
    member = world.members_a[0]
    admin, alice = api("county_admin"), api("alice")
    etag = alice.get(f"/api/v1/members/{member.pk}/")["ETag"]
    assert etag == f'"{concurrency.version_of(member)}"'
    ok = admin.patch(f"/api/v1/members/{member.pk}/", {"name": "王建国"}, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200 and ok["ETag"] != etag
    stale = alice.patch(
        f"/api/v1/members/{member.pk}/", {"education": "postgraduate"}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    body = stale.json()
    assert body["code"] == "stale" and body["changes"][0]["fields"][0]["field"] == "name"
    assert Member.objects.get(pk=member.pk).education == "bachelor"
    # Without If-Match the API writes as before.
    assert (
        alice.patch(f"/api/v1/members/{member.pk}/", {"education": "postgraduate"}, format="json").status_code
        == 200
    )
    org_etag = alice.get("/api/v1/orgs/0101/")["ETag"]
    admin.patch("/api/v1/orgs/0101/", {"name": "和平社区第一党支部"}, format="json")
    assert (
        alice.patch(
            "/api/v1/orgs/0101/", {"name": "x支部"}, format="json", HTTP_IF_MATCH=org_etag
        ).status_code
        == 412
    )
