"""The organizational-life pages for each named user: what they list, open, record, change and download."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jiceng.core.testing import page
from jiceng.life import services
from jiceng.life.models import Attendance, Meeting, MeetingAttachment
from jiceng.members import services as member_services
from jiceng.members.models import Member
from jiceng.orgs import services as org_services

from .factories import EXE, PDF, PNG, all_present, branch_members, days_ago, today, upload


def meeting_of(world, org=None, actor=None, **kwargs) -> Meeting:  # noqa: ANN001
    org = org or world.branch_a
    kwargs.setdefault("kind", "theme_day")
    kwargs.setdefault("held_on", days_ago(2))
    kwargs.setdefault("topic", f"{org.name}的主题党日")
    kwargs.setdefault("attendance", all_present(org))
    return services.record_meeting(actor=actor or world.county_admin, org=org, **kwargs)


def form_data(org, *, absent=(), **overrides) -> dict[str, object]:  # noqa: ANN001
    data: dict[str, object] = {
        "kind": "theme_day",
        "held_on": days_ago(1).isoformat(),
        "topic": "志愿服务安排",
    }
    for member in branch_members(org):
        data[f"presence_{member.pk}"] = "absent" if member in absent else "present"
    data.update(overrides)
    return data


def create_url(org) -> str:  # noqa: ANN001
    return reverse("life:create") + f"?org={org.code}"


# ---- Lists and scope ------------------------------------------------------------------------


def test_lists_show_only_meetings_in_scope(world, client_for) -> None:  # noqa: ANN001
    meeting_of(world, world.branch_a)
    meeting_of(world, world.branch_b)
    text = page(client_for(world.alice).get(reverse("life:list")))
    assert "和平社区党支部的主题党日" in text and "新华村党支部的主题党日" not in text
    text = page(client_for(world.county_admin).get(reverse("life:list")))
    assert "和平社区党支部的主题党日" in text and "新华村党支部的主题党日" in text
    text = page(client_for(world.charlie).get(reverse("life:list")))
    assert "主题党日</a>" not in text and "的主题党日" not in text


def test_list_of_an_org_out_of_scope_is_404(world, client_for) -> None:  # noqa: ANN001
    client = client_for(world.alice)
    assert client.get(reverse("life:list") + "?org=0102").status_code == 404
    assert client.get(reverse("life:list") + "?org=0101").status_code == 200


def test_list_filters_and_htmx_fragment(world, client_for) -> None:  # noqa: ANN001
    meeting_of(world, kind="theme_day", topic="第一次")
    meeting_of(world, kind="party_lecture", topic="第二次")
    client = client_for(world.alice)
    text = page(client.get(reverse("life:list") + "?kind=party_lecture"))
    assert "第二次" in text and "第一次" not in text
    fragment = client.get(reverse("life:list") + "?q=第一", HTTP_HX_REQUEST="true").content.decode()
    assert "第一次" in fragment and "<html" not in fragment


def test_list_queries_do_not_grow_with_the_number_of_meetings(world, client_for) -> None:  # noqa: ANN001
    client = client_for(world.county_admin)
    meeting_of(world)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("life:list"))
    for i in range(8):
        meeting_of(world, world.branch_b if i % 2 else world.branch_a, topic=f"会议{i}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("life:list"))
    assert len(many) == len(few)


@pytest.mark.parametrize("name", ["alice", "charlie", "dora"])
def test_another_branchs_meeting_answers_404_everywhere(world, client_for, name) -> None:  # noqa: ANN001
    meeting = meeting_of(world, world.branch_b, attachments=[upload("记录.pdf", PDF)])
    attachment = meeting.attachments.get()
    client = client_for(getattr(world, name))
    assert client.get(reverse("life:detail", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("life:edit", args=[meeting.pk])).status_code == 404
    assert client.post(reverse("life:edit", args=[meeting.pk]), form_data(world.branch_b)).status_code == 404
    assert client.post(reverse("life:delete", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("life:attachment", args=[attachment.pk])).status_code == 404
    assert client.post(reverse("life:attachment_delete", args=[attachment.pk])).status_code == 404
    assert (
        client.post(
            reverse("life:attachment_add", args=[meeting.pk]), {"file": upload("a.pdf", PDF)}
        ).status_code
        == 404
    )
    assert client.get(create_url(world.branch_b)).status_code == 404
    assert client.post(create_url(world.branch_b), form_data(world.branch_b)).status_code == 404
    assert client.get(reverse("life:calendar") + "?org=0102").status_code == 404
    assert Meeting.objects.count() == 1 and MeetingAttachment.objects.count() == 1


def test_viewer_sees_but_every_write_is_403(world, client_for) -> None:  # noqa: ANN001
    meeting = meeting_of(world, attachments=[upload("记录.pdf", PDF)])
    attachment = meeting.attachments.get()
    client = client_for(world.viewer)
    text = page(client.get(reverse("life:detail", args=[meeting.pk])))
    assert meeting.topic in text and reverse("life:edit", args=[meeting.pk]) not in text
    assert client.get(reverse("life:edit", args=[meeting.pk])).status_code == 403
    assert client.post(reverse("life:edit", args=[meeting.pk]), form_data(world.branch_a)).status_code == 403
    assert client.post(reverse("life:delete", args=[meeting.pk])).status_code == 403
    assert client.post(reverse("life:attachment_delete", args=[attachment.pk])).status_code == 403
    assert (
        client.post(
            reverse("life:attachment_add", args=[meeting.pk]), {"file": upload("a.pdf", PDF)}
        ).status_code
        == 403
    )
    assert client.get(create_url(world.branch_a)).status_code == 403
    assert client.post(create_url(world.branch_a), form_data(world.branch_a)).status_code == 403
    assert client.get(reverse("life:create")).status_code == 403
    assert Meeting.objects.count() == 1 and MeetingAttachment.objects.count() == 1
    assert client.get(reverse("life:attachment", args=[attachment.pk])).status_code == 200


# ---- The form ---------------------------------------------------------------------------------


def test_form_lists_the_branch_with_present_preselected(world, client_for) -> None:  # noqa: ANN001
    client = client_for(world.alice)
    text = page(client.get(reverse("life:create")))  # alice has one branch: no need to choose
    for member in branch_members(world.branch_a):
        assert member.name in text
        assert re.search(rf'<input[^>]*name="presence_{member.pk}"[^>]*value="present"[^>]*checked', text)
    for member in world.members_b:
        assert member.name not in text
    assert "/static/jiceng/life.js" in text
    assert "data-life-votes" in text and "有表决事项" in text


def test_a_higher_admin_chooses_the_branch_first(world, client_for) -> None:  # noqa: ANN001
    text = page(client_for(world.county_admin).get(reverse("life:create")))
    assert (
        "和平社区党支部（0101）" in text
        and "新华村党支部（0102）" in text
        and "财政所党支部（010301）" in text
    )
    assert 'name="topic"' not in text


def test_record_a_meeting_from_the_form(world, client_for) -> None:  # noqa: ANN001
    people = branch_members(world.branch_a)
    data = form_data(world.branch_a, absent=[people[1]], place="党群服务中心", host=people[0].pk)
    data[f"presence_{people[2].pk}"] = "leave"
    data[f"presence_{world.members_b[0].pk}"] = "present"  # a crafted field for another branch is ignored
    response = client_for(world.alice).post(create_url(world.branch_a), data)
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response.url == reverse("life:detail", args=[meeting.pk])
    assert (meeting.expected, meeting.present, meeting.host, meeting.place) == (
        6,
        4,
        people[0],
        "党群服务中心",
    )
    assert dict(meeting.attendance.values_list("member_id", "presence"))[people[2].pk] == "leave"
    assert not Attendance.objects.filter(member=world.members_b[0]).exists()


def test_future_date_shows_a_clear_error_and_saves_nothing(world, client_for) -> None:  # noqa: ANN001
    future = (today() + dt.timedelta(days=1)).isoformat()
    response = client_for(world.alice).post(
        create_url(world.branch_a), form_data(world.branch_a, held_on=future)
    )
    text = page(response)
    assert "会议日期不能晚于今天" in text and "记录未保存" in text
    assert not Meeting.objects.exists() and not Attendance.objects.exists()


def test_votes_beyond_those_present_show_an_error(world, client_for) -> None:  # noqa: ANN001
    data = form_data(
        world.branch_a, kind="general_meeting", voted="on", voting_members=5, voters_present=4, votes_yes=5
    )
    text = page(client_for(world.alice).post(create_url(world.branch_a), data))
    assert "不能多于到会有表决权的党员数（4）" in text
    assert not Meeting.objects.exists()


def test_quorum_not_met_is_saved_with_a_warning(world, client_for) -> None:  # noqa: ANN001
    data = form_data(
        world.branch_a, kind="general_meeting", voted="on", voting_members=5, voters_present=2, votes_yes=2
    )
    client = client_for(world.alice)
    response = client.post(create_url(world.branch_a), data, follow=True)
    text = page(response)
    meeting = Meeting.objects.get()
    assert meeting.quorum_met is False
    assert "未超过应到会有表决权党员5人的半数" in text
    assert 'data-quorum="not-met"' in text
    text = page(client.get(reverse("life:list")))
    assert "未达法定人数" in text


def test_vote_figures_are_dropped_when_nothing_was_voted(world, client_for) -> None:  # noqa: ANN001
    data = form_data(world.branch_a, kind="general_meeting", voting_members=5, voters_present=9, votes_yes=99)
    client_for(world.alice).post(create_url(world.branch_a), data)
    meeting = Meeting.objects.get()
    assert (meeting.voted, meeting.voting_members, meeting.votes_yes) == (False, None, None)


def test_attachments_with_the_form_are_checked_by_content(world, client_for) -> None:  # noqa: ANN001
    client = client_for(world.alice)
    data = form_data(world.branch_a, attachments=[upload("签到表.png", PNG), upload("会议记录.pdf", EXE)])
    text = page(client.post(create_url(world.branch_a), data))
    assert "会议记录.pdf" in text and "不是PDF、JPEG或PNG格式" in text
    assert not Meeting.objects.exists() and not MeetingAttachment.objects.exists()
    data = form_data(world.branch_a, attachments=[upload("签到表.png", PNG), upload("会议记录.pdf", PDF)])
    assert client.post(create_url(world.branch_a), data).status_code == 302
    assert sorted(Meeting.objects.get().attachments.values_list("content_type", flat=True)) == [
        "application/pdf",
        "image/png",
    ]


def test_group_meeting_records_only_the_groups_members(world, client_for) -> None:  # noqa: ANN001
    group = org_services.create_group(actor=world.alice, org=world.branch_a, name="第一党小组")
    for member in world.members_a[:2]:
        member_services.update_member(actor=world.alice, member=member, group=group)
    client = client_for(world.alice)
    text = page(client.get(create_url(world.branch_a) + f"&kind=group_meeting&group={group.pk}"))
    assert f'data-group="{group.pk}"' in text
    missing = client.post(create_url(world.branch_a), form_data(world.branch_a, kind="group_meeting"))
    assert "党小组会须注明是哪个党小组召开的" in page(missing)
    response = client.post(
        create_url(world.branch_a), form_data(world.branch_a, kind="group_meeting", group=group.pk)
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.group == group
    assert set(meeting.attendance.values_list("member_id", flat=True)) == {m.pk for m in world.members_a[:2]}


def test_edit_changes_attendance_and_keeps_history(world, client_for) -> None:  # noqa: ANN001
    meeting = meeting_of(world, actor=world.alice)
    people = branch_members(world.branch_a)
    client = client_for(world.alice)
    text = page(client.get(reverse("life:edit", args=[meeting.pk])))
    assert meeting.topic in text
    data = form_data(
        world.branch_a, absent=[people[0]], topic="修改后的主题", held_on=meeting.held_on.isoformat()
    )
    response = client.post(reverse("life:edit", args=[meeting.pk]), data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.topic, meeting.present) == ("修改后的主题", 5)
    text = page(client.get(reverse("life:detail", args=[meeting.pk])))
    assert "变更历史" in text and "修改后的主题" in text and f"{people[0].name} 出席→缺席" in text


def test_delete_from_the_detail_page(world, client_for) -> None:  # noqa: ANN001
    meeting = meeting_of(world)
    response = client_for(world.alice).post(reverse("life:delete", args=[meeting.pk]))
    assert response.status_code == 302 and "org=0101" in response.url
    assert not Meeting.objects.exists()
    assert client_for(world.alice).get(reverse("life:delete", args=[meeting.pk])).status_code == 405


# ---- Attachments --------------------------------------------------------------------------------


def test_upload_and_download_attachments(world, client_for) -> None:  # noqa: ANN001
    meeting = meeting_of(world)
    client = client_for(world.alice)
    response = client.post(
        reverse("life:attachment_add", args=[meeting.pk]), {"file": upload("会议记录.pdf", PDF)}
    )
    assert response.status_code == 302
    attachment = meeting.attachments.get()
    download = client.get(reverse("life:attachment", args=[attachment.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PDF
    text = page(client.get(reverse("life:detail", args=[meeting.pk])))
    assert "会议记录.pdf" in text


def test_a_renamed_executable_is_refused_on_upload(world, client_for) -> None:  # noqa: ANN001
    meeting = meeting_of(world)
    client = client_for(world.alice)
    response = client.post(
        reverse("life:attachment_add", args=[meeting.pk]), {"file": upload("会议记录.pdf", EXE)}, follow=True
    )
    assert "不是PDF、JPEG或PNG格式" in page(response)
    assert not MeetingAttachment.objects.exists()


def test_images_open_in_the_browser(world, client_for) -> None:  # noqa: ANN001
    meeting = meeting_of(world, attachments=[upload("合影.png", PNG)])
    response = client_for(world.alice).get(reverse("life:attachment", args=[meeting.attachments.get().pk]))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")


# ---- The calendar -------------------------------------------------------------------------------


def test_calendar_shows_what_is_due_and_what_was_held(world, client_for) -> None:  # noqa: ANN001
    client = client_for(world.alice)
    text = page(client.get(reverse("life:calendar")))  # alice's one branch
    assert "和平社区党支部组织生活日历" in text
    assert 'data-due="theme_day" data-status="due"' in text
    assert 'data-due="general_meeting" data-status="due"' in text
    assert 'data-due="organizational_life_meeting" data-status="due"' in text
    assert 'data-due="committee_meeting"' not in text  # no committee elected
    assert 'data-due="group_meeting"' not in text  # no party groups
    meeting_of(world, kind="theme_day", held_on=today(), topic="本月主题党日")
    text = page(client.get(reverse("life:calendar")))
    assert 'data-due="theme_day" data-status="held"' in text
    assert "本月主题党日" in text


def test_calendar_lists_committee_and_group_meetings_when_the_branch_has_them(world, client_for) -> None:  # noqa: ANN001
    org_services.record_election(
        actor=world.alice, org=world.branch_a, elected_on=today() - dt.timedelta(days=400)
    )
    group = org_services.create_group(actor=world.alice, org=world.branch_a, name="第一党小组")
    text = page(client_for(world.alice).get(reverse("life:calendar")))
    assert 'data-due="committee_meeting" data-status="due"' in text
    assert 'data-due="group_meeting" data-status="due"' in text
    assert f"group={group.pk}" in text


def test_calendar_of_a_past_month_marks_what_was_missed(world, client_for) -> None:  # noqa: ANN001
    text = page(client_for(world.alice).get(reverse("life:calendar") + "?month=2025-02"))
    assert 'data-due="theme_day" data-status="missed"' in text
    assert "2025年第一季度" in text and "2025-Q1" not in text


def test_calendar_with_a_bad_month_falls_back_to_this_month(world, client_for) -> None:  # noqa: ANN001
    text = page(client_for(world.alice).get(reverse("life:calendar") + "?month=2025-13", follow=True))
    assert "月份应写作YYYY-MM" in text
    assert f"{today():%Y-%m}" in text


def test_a_higher_admin_picks_a_branch_for_the_calendar(world, client_for) -> None:  # noqa: ANN001
    client = client_for(world.county_admin)
    text = page(client.get(reverse("life:calendar")))
    assert "新华村党支部（0102）" in text
    text = page(client.get(reverse("life:calendar") + "?org=0103"))  # a general branch with one branch
    assert "财政所党支部组织生活日历" in text
    assert "新华村党支部组织生活日历" in page(client.get(reverse("life:calendar") + "?org=0102"))


def test_member_role_sees_no_branch_calendar(world, client_for) -> None:  # noqa: ANN001
    client = client_for(world.dora)
    assert client.get(reverse("life:calendar") + "?org=0101").status_code == 404
    assert Member.objects.filter(user=world.dora).exists()


def test_an_imported_meeting_is_edited_by_its_head_counts(world, client_for) -> None:  # noqa: ANN001
    meeting = Meeting.objects.create(
        org=world.branch_a,
        org_path=world.branch_a.path,
        kind="group_meeting",
        held_on=days_ago(60),
        topic="导入的党小组会",
        expected=30,
        present=25,
        source="imported",
    )
    client = client_for(world.alice)
    text = page(client.get(reverse("life:edit", args=[meeting.pk])))
    assert 'name="expected"' in text and 'name="presence_' not in text
    data = {
        "kind": "group_meeting",
        "held_on": meeting.held_on.isoformat(),
        "topic": "导入的党小组会",
        "expected": 30,
        "present": 24,
    }
    response = client.post(reverse("life:edit", args=[meeting.pk]), data)
    assert response.status_code == 302, page(response)
    meeting.refresh_from_db()
    assert (meeting.expected, meeting.present, meeting.group) == (30, 24, None)
    assert not meeting.attendance.exists()
    too_many = client.post(reverse("life:edit", args=[meeting.pk]), {**data, "present": 31})
    assert "不能多于应到人数" in page(too_many)


def test_the_calendar_owes_nothing_for_a_rule_switched_off(world) -> None:  # noqa: ANN001
    """The party lecture (a provincial practice, graded U) switched off in the rule sets: not owed."""
    import datetime as dt

    from jiceng.core.models import RuleVersion
    from jiceng.core.periods import parse
    from jiceng.life.selectors import branch_calendar

    def codes(month: str) -> set[str]:
        cal = branch_calendar(world.alice, world.branch_a, month=parse(month), today=dt.date(2026, 11, 29))
        return {i.due.code for i in (*cal.months, *cal.quarters, *cal.years)}

    assert "life.party_lecture_quarterly" in codes("2026-05")
    RuleVersion.objects.create(
        code="life.party_lecture_quarterly", effective_from=dt.date(2026, 7, 1), enabled=False, citation="x"
    )
    assert "life.party_lecture_quarterly" in codes("2026-05")  # judged by the values of that quarter
    assert "life.party_lecture_quarterly" not in codes("2026-08")
    assert "life.theme_day_monthly" in codes("2026-08")
