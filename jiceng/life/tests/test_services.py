"""Recording organizational life: who may, what is refused (and then nothing is saved), what is kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from jiceng.core.models import ObjectChange
from jiceng.life import services
from jiceng.life.models import Attendance, Meeting, MeetingAttachment
from jiceng.members import services as member_services
from jiceng.members.models import Member
from jiceng.orgs import services as org_services

from .factories import EXE, JPEG, PDF, PNG, all_present, branch_members, days_ago, today, upload


def codes(error: ValidationError) -> dict[str, set[str]]:
    return {field: {e.code for e in errors} for field, errors in error.error_dict.items()}


def messages(error: ValidationError, field: str) -> str:
    return " ".join(error.message_dict[field])


def record(world, actor=None, org=None, **kwargs):  # noqa: ANN001, ANN201
    org = org or world.branch_a
    kwargs.setdefault("kind", "theme_day")
    kwargs.setdefault("held_on", days_ago(3))
    kwargs.setdefault("topic", "学习贯彻党的创新理论")
    return services.record_meeting(actor=actor or world.alice, org=org, **kwargs)


def nothing_saved(changes_before: int) -> None:
    assert Meeting.objects.count() == 0
    assert Attendance.objects.count() == 0
    assert MeetingAttachment.objects.count() == 0
    assert ObjectChange.objects.count() == changes_before


# ---- Recording ---------------------------------------------------------------------------------


def test_record_with_attendance_derives_counts_and_is_audited(world) -> None:
    people = branch_members(world.branch_a)
    attendance = {m: "present" for m in people}
    attendance[people[1]] = "leave"
    attendance[people[2]] = "absent"
    meeting = record(world, attendance=attendance, expected=99, present=99, place="党群服务中心")

    assert (meeting.expected, meeting.present) == (6, 4)
    assert meeting.org_path == world.branch_a.path
    assert meeting.source == "recorded"
    assert dict(meeting.attendance.values_list("member_id", "presence")) == {
        m.pk: p for m, p in attendance.items()
    }
    change = ObjectChange.objects.get(object_id=meeting.pk, action="create", object_repr=str(meeting))
    assert change.org_path == world.branch_a.path
    assert change.user_name == "alice"
    assert change.postchange_data["attendance"][str(people[1].pk)] == "leave"
    assert "应到6人，实到4人" in change.message


def test_counts_as_given_without_attendance(world) -> None:
    meeting = record(world, expected=6, present=5)
    assert (meeting.expected, meeting.present) == (6, 5)
    assert not meeting.attendance.exists()


@pytest.mark.parametrize("who", ["alice", "county_admin"])
def test_secretary_and_higher_admin_may_record(world, who) -> None:  # noqa: ANN001
    meeting = record(world, actor=getattr(world, who), attendance=all_present(world.branch_a))
    assert Meeting.objects.filter(pk=meeting.pk).exists()


@pytest.mark.parametrize(
    ("who", "error"), [("alice", Http404), ("charlie", Http404), ("viewer", PermissionDenied)]
)
def test_out_of_scope_is_404_and_view_only_is_403(world, who, error) -> None:  # noqa: ANN001
    before = ObjectChange.objects.count()
    with pytest.raises(error):
        record(world, actor=getattr(world, who), org=world.branch_b)
    nothing_saved(before)


def test_only_branches_hold_meetings(world) -> None:
    with pytest.raises(ValidationError) as caught:
        record(world, actor=world.county_admin, org=world.general)
    assert codes(caught.value) == {"org": {"not_branch"}}


def test_future_date_is_refused_and_nothing_saved(world) -> None:
    before = ObjectChange.objects.count()
    with pytest.raises(ValidationError) as caught:
        record(world, held_on=today() + dt.timedelta(days=1), attendance=all_present(world.branch_a))
    assert codes(caught.value) == {"held_on": {"date_in_future"}}
    assert "不能晚于今天" in messages(caught.value, "held_on")
    nothing_saved(before)


def test_today_is_allowed(world) -> None:
    assert record(world, held_on=today()).held_on == today()


def test_blank_topic_is_refused(world) -> None:
    with pytest.raises(ValidationError) as caught:
        record(world, topic="   ")
    assert codes(caught.value) == {"topic": {"required"}}


def test_every_problem_is_reported_at_once(world) -> None:
    with pytest.raises(ValidationError) as caught:
        record(world, topic="", held_on=today() + dt.timedelta(days=3), kind="nonsense")
    assert set(codes(caught.value)) == {"topic", "held_on", "kind"}


def test_member_of_another_branch_is_refused_without_naming_them(world) -> None:
    before = ObjectChange.objects.count()
    attendance = all_present(world.branch_a)
    attendance[world.members_b[0]] = "present"
    with pytest.raises(ValidationError) as caught:
        record(world, attendance=attendance)
    assert codes(caught.value) == {"attendance": {"attendance_outside"}}
    text = messages(caught.value, "attendance")
    assert "1人不是本党支部的党员" in text
    assert world.members_b[0].name not in text  # alice may not see 0102's roster
    nothing_saved(before)


def test_higher_admin_is_told_who_does_not_belong(world) -> None:
    attendance = all_present(world.branch_a)
    attendance[world.members_b[0]] = "present"
    with pytest.raises(ValidationError) as caught:
        record(world, actor=world.county_admin, attendance=attendance)
    assert world.members_b[0].name in messages(caught.value, "attendance")


def test_invalid_presence_is_refused(world) -> None:
    attendance = all_present(world.branch_a)
    attendance[world.members_a[0]] = "asleep"
    with pytest.raises(ValidationError) as caught:
        record(world, attendance=attendance)
    assert codes(caught.value) == {"attendance": {"invalid_presence"}}


def test_host_must_belong_to_the_branch(world) -> None:
    with pytest.raises(ValidationError) as caught:
        record(world, actor=world.county_admin, host=world.members_b[0], recorder=world.members_a[1])
    assert codes(caught.value) == {"host": {"member_elsewhere"}}
    meeting = record(world, host=world.members_a[0], recorder=world.members_a[1])
    assert (meeting.host, meeting.recorder) == (world.members_a[0], world.members_a[1])


def test_present_cannot_exceed_expected(world) -> None:
    with pytest.raises(ValidationError) as caught:
        record(world, expected=3, present=4)
    assert codes(caught.value) == {"present": {"present_exceeds_expected"}}


# ---- Group meetings -----------------------------------------------------------------------------


@pytest.fixture
def groups(world):  # noqa: ANN001, ANN201
    first = org_services.create_group(actor=world.alice, org=world.branch_a, name="第一党小组")
    second = org_services.create_group(actor=world.alice, org=world.branch_a, name="第二党小组")
    for member in world.members_a[:3]:
        member_services.update_member(actor=world.alice, member=member, group=first)
    for member in world.members_a[3:]:
        member_services.update_member(actor=world.alice, member=member, group=second)
    other = org_services.create_group(actor=world.bob, org=world.branch_b, name="一组")
    return first, second, other


def test_group_meeting_names_a_group_of_the_branch(world, groups) -> None:  # noqa: ANN001
    first, _second, other = groups
    with pytest.raises(ValidationError) as caught:
        record(world, kind="group_meeting")
    assert codes(caught.value) == {"group": {"group_required"}}
    with pytest.raises(ValidationError) as caught:
        record(world, actor=world.county_admin, kind="group_meeting", group=other)
    assert codes(caught.value) == {"group": {"group_elsewhere"}}
    with pytest.raises(ValidationError) as caught:
        record(world, kind="theme_day", group=first)
    assert codes(caught.value) == {"group": {"group_not_allowed"}}


def test_group_meeting_attendance_is_the_groups_members(world, groups) -> None:  # noqa: ANN001
    first, _second, _other = groups
    own = {m: "present" for m in Member.objects.filter(group=first)}
    meeting = record(world, kind="group_meeting", group=first, attendance=own)
    assert (meeting.expected, meeting.present) == (3, 3)
    with pytest.raises(ValidationError) as caught:
        record(world, kind="group_meeting", group=first, attendance={**own, world.members_a[4]: "absent"})
    assert codes(caught.value) == {"attendance": {"attendance_outside"}}
    assert "不是本党小组的党员" in messages(caught.value, "attendance")


# ---- Votes and the quorum ---------------------------------------------------------------------


def test_voters_present_cannot_exceed_voting_members(world) -> None:
    with pytest.raises(ValidationError) as caught:
        record(world, kind="general_meeting", voted=True, voting_members=5, voters_present=6)
    assert codes(caught.value) == {"voters_present": {"voters_exceed_members"}}


def test_yes_votes_exceeding_those_present_are_refused(world) -> None:
    before = ObjectChange.objects.count()
    with pytest.raises(ValidationError) as caught:
        record(
            world,
            kind="general_meeting",
            attendance=all_present(world.branch_a),
            voted=True,
            voting_members=5,
            voters_present=4,
            votes_yes=5,
        )
    assert codes(caught.value) == {"votes_yes": {"votes_exceed_present"}}
    assert "不能多于到会有表决权的党员数（4）" in messages(caught.value, "votes_yes")
    nothing_saved(before)


def test_all_votes_together_cannot_exceed_those_present(world) -> None:
    with pytest.raises(ValidationError) as caught:
        record(
            world,
            kind="general_meeting",
            voted=True,
            voting_members=5,
            voters_present=4,
            votes_yes=2,
            votes_no=1,
            votes_abstain=2,
        )
    assert codes(caught.value) == {"votes_yes": {"votes_exceed_present"}}


def test_a_vote_needs_its_head_counts(world) -> None:
    with pytest.raises(ValidationError) as caught:
        record(world, kind="general_meeting", voted=True)
    assert codes(caught.value) == {"voting_members": {"required"}, "voters_present": {"required"}}


def test_voters_present_cannot_exceed_people_present(world) -> None:
    people = branch_members(world.branch_a)
    attendance = {m: ("present" if i < 2 else "absent") for i, m in enumerate(people)}
    with pytest.raises(ValidationError) as caught:
        record(
            world,
            kind="general_meeting",
            attendance=attendance,
            voted=True,
            voting_members=5,
            voters_present=3,
        )
    assert codes(caught.value) == {"voters_present": {"voters_exceed_present"}}


@pytest.mark.parametrize(
    ("members", "present", "met"),
    [(5, 3, True), (5, 2, False), (4, 2, False), (4, 3, True), (1, 1, True), (2, 1, False)],
)
def test_quorum_is_judged_at_entry_and_the_meeting_is_kept(world, members, present, met) -> None:  # noqa: ANN001
    meeting = record(
        world,
        kind="general_meeting",
        voted=True,
        voting_members=members,
        voters_present=present,
        votes_yes=present,
    )
    meeting.refresh_from_db()
    assert meeting.quorum_met is met
    warning = services.quorum_warning(meeting)
    if met:
        assert warning is None
    else:
        assert "未超过" in warning and "第十一条" in warning and "记录已保存" in warning


def test_without_a_vote_there_are_no_vote_figures(world) -> None:
    meeting = record(
        world, kind="general_meeting", voted=False, voting_members=5, voters_present=1, votes_yes=9
    )
    assert (meeting.voting_members, meeting.voters_present, meeting.votes_yes) == (None, None, None)
    assert meeting.quorum_met is None
    assert services.quorum_warning(meeting) is None


# ---- Changing and deleting -------------------------------------------------------------------------


def test_update_replaces_attendance_and_records_who_changed(world) -> None:
    people = branch_members(world.branch_a)
    meeting = record(world, attendance={m: "present" for m in people})
    attendance = {m: "present" for m in people}
    attendance[people[0]] = "absent"
    services.update_meeting(actor=world.alice, meeting=meeting, attendance=attendance, topic="新主题")
    meeting.refresh_from_db()
    assert (meeting.expected, meeting.present, meeting.topic) == (6, 5, "新主题")
    assert meeting.attendance.get(member=people[0]).presence == "absent"
    change = ObjectChange.objects.filter(object_id=meeting.pk, action="update").latest("id")
    assert change.prechange_data["topic"] != change.postchange_data["topic"]
    assert f"{people[0].name} 出席→缺席" in change.message


def test_update_without_change_writes_no_audit_record(world) -> None:
    meeting = record(world, attendance=all_present(world.branch_a))
    before = ObjectChange.objects.count()
    services.update_meeting(actor=world.alice, meeting=meeting, topic=meeting.topic)
    assert ObjectChange.objects.count() == before


def test_update_keeps_counts_from_the_list_when_attendance_is_not_given(world) -> None:
    meeting = record(world, attendance=all_present(world.branch_a))
    services.update_meeting(actor=world.alice, meeting=meeting, expected=40, present=40)
    meeting.refresh_from_db()
    assert (meeting.expected, meeting.present) == (6, 6)


def test_update_is_scoped(world) -> None:
    meeting = record(world, actor=world.bob, org=world.branch_b)
    with pytest.raises(Http404):
        services.update_meeting(actor=world.alice, meeting=meeting, topic="x")
    with pytest.raises(PermissionDenied):
        services.update_meeting(actor=world.viewer, meeting=meeting, topic="x")
    meeting.refresh_from_db()
    assert meeting.topic != "x"


def test_update_refuses_a_future_date_and_keeps_the_record(world) -> None:
    meeting = record(world, attendance=all_present(world.branch_a))
    with pytest.raises(ValidationError):
        services.update_meeting(actor=world.alice, meeting=meeting, held_on=today() + dt.timedelta(days=2))
    meeting.refresh_from_db()
    assert meeting.held_on == days_ago(3)


def test_members_who_left_stay_on_an_old_meetings_list(world) -> None:
    people = branch_members(world.branch_a)
    meeting = record(world, held_on=days_ago(40), attendance={m: "present" for m in people})
    gone = people[0]
    member_services.transfer_member(actor=world.county_admin, member=gone, to_org=world.branch_b)
    attendance = {m: "present" for m in people}
    attendance[gone] = "leave"
    services.update_meeting(actor=world.alice, meeting=meeting, attendance=attendance)
    assert meeting.attendance.get(member=gone).presence == "leave"
    # A new meeting does not list them.
    with pytest.raises(ValidationError):
        record(world, attendance={gone: "present"})


def test_delete_removes_the_meeting_its_list_and_files(
    world, settings, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    meeting = record(world, attendance=all_present(world.branch_a), attachments=[upload("记录.pdf", PDF)])
    path = Path(settings.MEDIA_ROOT) / meeting.attachments.get().file.name
    assert path.exists()
    with pytest.raises(PermissionDenied):
        services.delete_meeting(actor=world.viewer, meeting=meeting)
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_meeting(actor=world.alice, meeting=meeting)
    assert not Meeting.objects.exists() and not Attendance.objects.exists()
    assert not path.exists()
    change = ObjectChange.objects.get(object_id=meeting.pk, action="delete")
    assert change.prechange_data["topic"] == meeting.topic
    assert change.prechange_data["attachments"] == ["记录.pdf"]


def test_listeners_hear_of_changes_after_commit(world, django_capture_on_commit_callbacks) -> None:  # noqa: ANN001
    heard = []

    def listener(sender, **kwargs):  # noqa: ANN001, ANN003, ANN202
        heard.append(kwargs)

    services.meetings_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            meeting = record(world)
        assert heard and heard[-1]["org_paths"] == frozenset({world.branch_a.path})
        assert heard[-1]["first_day"] == meeting.held_on
    finally:
        services.meetings_changed.disconnect(listener)


# ---- Attachments ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("会议记录.pdf", PDF, "application/pdf"),
        ("合影.JPG", JPEG, "image/jpeg"),
        ("签到表.png", PNG, "image/png"),
    ],
)
def test_accepted_files_are_stored_under_media_root_by_our_own_name(
    world, settings, name, content, content_type
) -> None:  # noqa: ANN001
    meeting = record(world)
    attachment = services.add_attachment(
        actor=world.alice, meeting=meeting, upload=upload(name, content, "text/plain")
    )
    assert attachment.content_type == content_type  # judged by content, not by what the browser said
    assert attachment.original_name == name
    assert attachment.size == len(content)
    stored = Path(settings.MEDIA_ROOT) / attachment.file.name
    assert stored.read_bytes() == content
    assert name not in attachment.file.name
    assert attachment.file.name.startswith(f"meetings/{world.branch_a.pk}/{meeting.pk}/")
    assert ObjectChange.objects.filter(object_id=meeting.pk, message__contains=name).exists()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("invoice.pdf", EXE, "file_type"),  # an .exe renamed .pdf
        ("setup.exe", EXE, "file_type"),
        ("photo.pdf", PNG, "file_name_mismatch"),
        ("notes.txt", PDF, "file_name_mismatch"),
        ("empty.pdf", b"", "empty_file"),
    ],
)
def test_other_files_are_refused(world, settings, name, content, code) -> None:  # noqa: ANN001
    meeting = record(world)
    with pytest.raises(ValidationError) as caught:
        services.add_attachment(actor=world.alice, meeting=meeting, upload=upload(name, content))
    assert codes(caught.value) == {"file": {code}}
    assert not MeetingAttachment.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_files_over_10_mb_are_refused(world) -> None:
    meeting = record(world)
    limit = services.MAX_ATTACHMENT_BYTES
    services.add_attachment(
        actor=world.alice, meeting=meeting, upload=upload("ok.pdf", PDF + b"0" * (limit - len(PDF)))
    )
    with pytest.raises(ValidationError) as caught:
        services.add_attachment(
            actor=world.alice, meeting=meeting, upload=upload("big.pdf", PDF + b"0" * (limit + 1 - len(PDF)))
        )
    assert codes(caught.value) == {"file": {"file_too_large"}}
    assert "10 MB" in messages(caught.value, "file")
    assert meeting.attachments.count() == 1


def test_a_bad_attachment_refuses_the_whole_meeting(world, settings) -> None:  # noqa: ANN001
    before = ObjectChange.objects.count()
    with pytest.raises(ValidationError) as caught:
        record(
            world,
            attendance=all_present(world.branch_a),
            attachments=[upload("ok.pdf", PDF), upload("virus.pdf", EXE)],
        )
    assert codes(caught.value) == {"attachments": {"file_type"}}
    nothing_saved(before)
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_attachments_are_scoped(world) -> None:
    meeting = record(world, actor=world.bob, org=world.branch_b)
    with pytest.raises(Http404):
        services.add_attachment(actor=world.alice, meeting=meeting, upload=upload("a.pdf", PDF))
    with pytest.raises(PermissionDenied):
        services.add_attachment(actor=world.viewer, meeting=meeting, upload=upload("a.pdf", PDF))
    assert not MeetingAttachment.objects.exists()


def test_remove_attachment_deletes_the_file(world, settings, django_capture_on_commit_callbacks) -> None:  # noqa: ANN001
    meeting = record(world)
    attachment = services.add_attachment(actor=world.alice, meeting=meeting, upload=upload("a.pdf", PDF))
    path = Path(settings.MEDIA_ROOT) / attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_attachment(actor=world.alice, attachment=attachment)
    assert not MeetingAttachment.objects.exists()
    assert not path.exists()
