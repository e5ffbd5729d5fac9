"""The meetings API: nested attendance, attachments, the same scope and validation as the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from jiceng.life import services
from jiceng.life.models import Meeting, MeetingAttachment

from .factories import EXE, PDF, all_present, branch_members, days_ago, today, upload

LIST = "/api/v1/meetings/"


def one(pk: int) -> str:
    return f"{LIST}{pk}/"


@pytest.fixture
def api():  # noqa: ANN201
    def client(user) -> APIClient:  # noqa: ANN001
        c = APIClient()
        c.force_authenticate(user)
        return c

    return client


def meeting_of(world, org=None, **kwargs) -> Meeting:  # noqa: ANN001
    org = org or world.branch_a
    kwargs.setdefault("kind", "theme_day")
    kwargs.setdefault("held_on", days_ago(2))
    kwargs.setdefault("topic", f"{org.code}的会议")
    kwargs.setdefault("attendance", all_present(org))
    return services.record_meeting(actor=world.county_admin, org=org, **kwargs)


def body(world, org=None, **overrides) -> dict[str, object]:  # noqa: ANN001
    org = org or world.branch_a
    data: dict[str, object] = {
        "org": org.code,
        "kind": "committee_meeting",
        "held_on": days_ago(1).isoformat(),
        "topic": "研究发展党员工作",
        "attendance": [{"member": m.pk, "presence": "present"} for m in branch_members(org)],
    }
    data.update(overrides)
    return data


def error_codes(response) -> dict[str, set[str]]:  # noqa: ANN001
    return {field: {e["code"] for e in errors} for field, errors in response.json()["errors"].items()}


# ---- Reading --------------------------------------------------------------------------------------


def test_list_is_scoped_and_nests_attendance(world, api) -> None:  # noqa: ANN001
    mine = meeting_of(world)
    meeting_of(world, world.branch_b)
    response = api(world.alice).get(LIST)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [m["id"] for m in results] == [mine.pk]
    assert results[0]["org"] == "0101"
    assert {a["member_name"] for a in results[0]["attendance"]} == {
        m.name for m in branch_members(world.branch_a)
    }
    assert len(api(world.county_admin).get(LIST).json()["results"]) == 2
    assert api(world.charlie).get(LIST).json()["results"] == []


def test_list_by_organization_and_filters(world, api) -> None:  # noqa: ANN001
    meeting_of(world, kind="party_lecture", topic="党课一")
    meeting_of(world, world.branch_b, kind="party_lecture", topic="党课二")
    client = api(world.county_admin)
    assert [m["topic"] for m in client.get(LIST, {"org": "0102"}).json()["results"]] == ["党课二"]
    assert {m["topic"] for m in client.get(LIST, {"kind": "party_lecture"}).json()["results"]} == {
        "党课一",
        "党课二",
    }
    assert client.get(LIST, {"kind": "theme_day"}).json()["results"] == []
    assert api(world.alice).get(LIST, {"org": "0102"}).status_code == 404


def test_a_meeting_out_of_scope_is_404(world, api) -> None:  # noqa: ANN001
    other = meeting_of(world, world.branch_b)
    response = api(world.alice).get(one(other.pk))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert api(world.alice).get(one(99999999)).json() == response.json()  # no difference from "no such"


def test_anonymous_callers_are_refused(world) -> None:  # noqa: ANN001
    response = APIClient().get(LIST)
    assert response.status_code in (401, 403)


# ---- Recording ------------------------------------------------------------------------------------


def test_record_a_meeting(world, api) -> None:  # noqa: ANN001
    people = branch_members(world.branch_a)
    data = body(world, host=people[0].pk, place="会议室")
    data["attendance"][1]["presence"] = "leave"
    response = api(world.alice).post(LIST, data, format="json")
    assert response.status_code == 201, response.json()
    got = response.json()
    assert (got["expected"], got["present"], got["org"], got["host"]) == (6, 5, "0101", people[0].pk)
    assert got["warnings"] == [] and got["quorum_met"] is None and got["source"] == "recorded"
    assert Meeting.objects.get().attendance.get(member=people[1]).presence == "leave"


def test_quorum_not_met_is_saved_with_a_warning(world, api) -> None:  # noqa: ANN001
    data = body(world, kind="general_meeting", voted=True, voting_members=5, voters_present=2, votes_yes=2)
    response = api(world.alice).post(LIST, data, format="json")
    assert response.status_code == 201
    got = response.json()
    assert got["quorum_met"] is False
    assert [w["code"] for w in got["warnings"]] == ["life.quorum"]
    assert Meeting.objects.get().quorum_met is False


@pytest.mark.parametrize(("who", "status"), [("alice", 404), ("charlie", 404), ("viewer", 403)])
def test_recording_out_of_scope(world, api, who, status) -> None:  # noqa: ANN001
    response = api(getattr(world, who)).post(LIST, body(world, world.branch_b), format="json")
    assert response.status_code == status
    assert not Meeting.objects.exists()


def test_recording_for_an_unknown_branch_reads_like_one_out_of_scope(world, api) -> None:  # noqa: ANN001
    client = api(world.alice)
    hidden = client.post(LIST, body(world, world.branch_b), format="json")
    unknown = client.post(LIST, {**body(world), "org": "nope"}, format="json")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == unknown.json()


def test_bad_input_is_400_with_codes_and_nothing_is_saved(world, api) -> None:  # noqa: ANN001
    client = api(world.alice)
    future = (today() + dt.timedelta(days=1)).isoformat()
    response = client.post(LIST, body(world, held_on=future), format="json")
    assert response.status_code == 400
    assert error_codes(response) == {"held_on": {"date_in_future"}}
    assert "不能晚于今天" in response.json()["errors"]["held_on"][0]["message"]

    data = body(world)
    data["attendance"].append({"member": world.members_b[0].pk, "presence": "present"})
    response = client.post(LIST, data, format="json")
    assert error_codes(response) == {"attendance": {"attendance_outside"}}
    assert world.members_b[0].name not in response.content.decode()

    data = body(world)
    data["attendance"].append({"member": 987654, "presence": "present"})
    unknown = client.post(LIST, data, format="json")
    assert error_codes(unknown) == {"attendance": {"attendance_outside"}}
    assert unknown.json()["errors"] == response.json()["errors"]  # a stranger reads like no one

    data = body(world, kind="general_meeting", voted=True, voting_members=5, voters_present=3, votes_yes=4)
    response = client.post(LIST, data, format="json")
    assert error_codes(response) == {"votes_yes": {"votes_exceed_present"}}

    response = client.post(LIST, body(world, kind="wedding", topic=""), format="json")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"kind", "topic"}

    data = body(world)
    data["attendance"].append(dict(data["attendance"][0]))
    assert error_codes(client.post(LIST, data, format="json")) == {"attendance": {"duplicate_member"}}
    assert not Meeting.objects.exists()


# ---- Changing and deleting ---------------------------------------------------------------------


def test_update_is_scoped_and_validated(world, api) -> None:  # noqa: ANN001
    mine = meeting_of(world)
    other = meeting_of(world, world.branch_b)
    alice = api(world.alice)
    response = alice.patch(
        one(mine.pk),
        {"topic": "新主题", "kind": "theme_day", "held_on": mine.held_on.isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["topic"] == "新主题"
    assert response.json()["expected"] == 6  # the attendance list is kept when not given
    assert alice.patch(one(other.pk), {"topic": "x"}, format="json").status_code == 404
    assert api(world.viewer).patch(one(mine.pk), {"topic": "x"}, format="json").status_code == 403
    moved = alice.put(one(mine.pk), {**body(world), "org": "0102"}, format="json")
    assert moved.status_code == 400 and error_codes(moved) == {"org": {"org_fixed"}}
    future = (today() + dt.timedelta(days=5)).isoformat()
    late = alice.put(one(mine.pk), body(world, held_on=future), format="json")
    assert error_codes(late) == {"held_on": {"date_in_future"}}
    mine.refresh_from_db()
    assert mine.topic == "新主题" and mine.held_on == days_ago(2)


def test_put_replaces_the_attendance_list(world, api) -> None:  # noqa: ANN001
    mine = meeting_of(world)
    people = branch_members(world.branch_a)
    data = body(world)
    data["attendance"] = [
        {"member": people[0].pk, "presence": "absent"},
        {"member": people[1].pk, "presence": "present"},
    ]
    response = api(world.alice).put(one(mine.pk), data, format="json")
    assert response.status_code == 200
    assert (response.json()["expected"], response.json()["present"]) == (2, 1)
    assert mine.attendance.count() == 2


def test_delete(world, api) -> None:  # noqa: ANN001
    mine = meeting_of(world)
    assert api(world.viewer).delete(one(mine.pk)).status_code == 403
    assert api(world.bob).delete(one(mine.pk)).status_code == 404
    assert api(world.alice).delete(one(mine.pk)).status_code == 204
    assert not Meeting.objects.exists()


# ---- Attachments --------------------------------------------------------------------------------


def test_attachments_upload_list_download_delete(world, api) -> None:  # noqa: ANN001
    mine = meeting_of(world)
    client = api(world.alice)
    url = f"{one(mine.pk)}attachments/"
    response = client.post(url, {"file": upload("会议记录.pdf", PDF)}, format="multipart")
    assert response.status_code == 201, response.json()
    item = response.json()
    assert (item["original_name"], item["content_type"], item["size"]) == (
        "会议记录.pdf",
        "application/pdf",
        len(PDF),
    )
    assert client.get(url).json()[0]["id"] == item["id"]
    assert client.get(one(mine.pk)).json()["attachments"][0]["id"] == item["id"]
    download = client.get(f"{url}{item['id']}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert item["url"].endswith(f"{url}{item['id']}/")
    assert api(world.viewer).delete(f"{url}{item['id']}/").status_code == 403
    assert client.delete(f"{url}{item['id']}/").status_code == 204
    assert not MeetingAttachment.objects.exists()


def test_a_renamed_executable_is_refused(world, api) -> None:  # noqa: ANN001
    mine = meeting_of(world)
    response = api(world.alice).post(
        f"{one(mine.pk)}attachments/", {"file": upload("会议记录.pdf", EXE)}, format="multipart"
    )
    assert response.status_code == 400
    assert error_codes(response) == {"file": {"file_type"}}
    assert not MeetingAttachment.objects.exists()


def test_attachments_are_scoped(world, api) -> None:  # noqa: ANN001
    other = meeting_of(world, world.branch_b, attachments=[upload("a.pdf", PDF)])
    attachment = other.attachments.get()
    alice = api(world.alice)
    assert alice.get(f"{one(other.pk)}attachments/").status_code == 404
    assert alice.get(f"{one(other.pk)}attachments/{attachment.pk}/").status_code == 404
    assert (
        alice.post(
            f"{one(other.pk)}attachments/", {"file": upload("b.pdf", PDF)}, format="multipart"
        ).status_code
        == 404
    )
    viewer = api(world.viewer)
    assert (
        viewer.post(
            f"{one(other.pk)}attachments/", {"file": upload("b.pdf", PDF)}, format="multipart"
        ).status_code
        == 403
    )
    assert MeetingAttachment.objects.count() == 1


def test_absurd_ids_are_404(world, api) -> None:  # noqa: ANN001
    assert api(world.alice).get(one(10**30)).status_code == 404


def test_openapi_describes_the_meetings_api(settings) -> None:  # noqa: ANN001
    schema = SchemaGenerator(urlconf=settings.ROOT_URLCONF).get_schema(request=None, public=True)
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/meetings/"])
    assert {"get", "put", "patch", "delete"} <= set(paths["/api/v1/meetings/{id}/"])
    assert "post" in paths["/api/v1/meetings/{id}/attachments/"]
    assert "delete" in paths["/api/v1/meetings/{id}/attachments/{attachment_id}/"]
    meeting = schema["components"]["schemas"]["Meeting"]["properties"]
    assert {"attendance", "attachments", "quorum_met", "warnings"} <= set(meeting)


def test_patch_leaves_what_it_does_not_name(world, api) -> None:  # noqa: ANN001
    mine = meeting_of(
        world, kind="general_meeting", voted=True, voting_members=5, voters_present=4, votes_yes=4
    )
    response = api(world.alice).patch(one(mine.pk), {"topic": "改了主题"}, format="json")
    assert response.status_code == 200, response.json()
    mine.refresh_from_db()
    assert (mine.topic, mine.voted, mine.voters_present, mine.votes_yes, mine.expected) == (
        "改了主题",
        True,
        4,
        4,
        6,
    )
