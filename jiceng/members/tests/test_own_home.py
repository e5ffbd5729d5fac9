"""A member's own home (我的): their record, their meetings, their development file's timeline and next
steps, the same in /api/v1/me/sections/, nothing of anyone else's, and no menu entry leading to a page
they cannot use (issue 12, item 8)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from jiceng.core.models import RoleAssignment, User
from jiceng.core.testing import check_html
from jiceng.development.models import StepKind
from jiceng.development.tests.helpers import walk
from jiceng.life import services as life_services

pytestmark = pytest.mark.django_db

ORG_PAGES = ("orgs:tree", "members:list", "life:list", "development:index")


def meeting(world, day: dt.date, topic: str, attendance: dict):  # noqa: ANN001, ANN201
    return life_services.record_meeting(
        actor=world.alice,
        org=world.branch_a,
        kind="general_meeting",
        held_on=day,
        topic=topic,
        attendance=attendance,
    )


@pytest.fixture
def meetings(world):  # noqa: ANN001, ANN201
    dora = world.dora.member
    others = world.members_a
    meeting(world, dt.date(2026, 9, 10), "九月主题党日", {dora: "present", others[1]: "absent"})
    meeting(world, dt.date(2026, 10, 12), "十月支部党员大会", {dora: "absent", others[1]: "present"})
    # A meeting of another branch, and one where dora was not on the roll.
    life_services.record_meeting(
        actor=world.bob,
        org=world.branch_b,
        kind="general_meeting",
        held_on=dt.date(2026, 10, 1),
        topic="新华村党员大会",
        attendance={world.members_b[0]: "present"},
    )
    meeting(world, dt.date(2026, 11, 3), "只点了王芳的会", {others[1]: "leave"})


def test_a_members_home_shows_their_record_and_meetings(world, client_for, meetings) -> None:  # noqa: ANN001
    response = client_for(world.dora).get("/")
    assert response.status_code == 200
    text = response.content.decode()
    check_html(text, one_h1=True, unique_ids=True)
    assert "赵敏" in text and world.dora.member.id_number_masked in text
    assert world.dora.member.reveal_id_number() not in text  # masked
    assert "九月主题党日" in text and "十月支部党员大会" in text
    assert "2026-09-10" in text and "2026-10-12" in text and "支部党员大会" in text
    assert 'data-presence="present"' in text and 'data-presence="absent"' in text
    assert "共记录2次：出席1次，请假0次，缺席1次。" in text
    # Nothing of anyone else's.
    assert "新华村党员大会" not in text and "只点了王芳的会" not in text and "王芳" not in text


def test_a_member_sees_no_menu_entry_that_leads_nowhere(world, client_for, meetings) -> None:  # noqa: ANN001
    text = client_for(world.dora).get("/").content.decode()
    for name in ORG_PAGES:
        assert f'href="{reverse(name)}"' not in text, name
    assert f'href="{reverse("members:me")}"' in text
    # A secretary keeps them all.
    text = client_for(world.alice).get("/").content.decode()
    for name in ORG_PAGES:
        assert f'href="{reverse(name)}"' in text, name


def test_every_link_on_a_members_home_answers(world, client_for, meetings) -> None:  # noqa: ANN001
    import re

    client = client_for(world.dora)
    text = client.get("/").content.decode()
    for href in sorted(set(re.findall(r'href="(/[^"#]*)"', text))):
        if href.startswith("/static/"):
            continue
        response = client.get(href)
        assert response.status_code == 200, href
        assert "您还没有被授予任何党组织的查看权限" not in response.content.decode(), href


def test_a_secretary_keeps_the_workbench_and_finds_their_own_page(world, client_for, meetings) -> None:  # noqa: ANN001
    client = client_for(world.alice)
    assert "工作台" in client.get("/").content.decode()
    own = client.get(reverse("members:me")).content.decode()
    assert "我的党员信息" in own and "我参加的组织生活" in own and "张伟" in own


def test_the_api_gives_the_same_own_data_and_nothing_else(world, api, meetings) -> None:  # noqa: ANN001
    response = api("dora").get("/api/v1/me/sections/")
    assert response.status_code == 200
    sections = {s["key"]: s for s in response.json()}
    assert set(sections) == {"members.record", "life.attendance"}
    assert sections["members.record"]["data"]["name"] == "赵敏"
    assert "id_number" not in sections["members.record"]["data"]
    life = sections["life.attendance"]["data"]
    assert life["counts"] == {"present": 1, "leave": 0, "absent": 1}
    assert [(m["held_on"], m["kind"], m["presence"]) for m in life["meetings"]] == [
        ("2026-10-12", "general_meeting", "absent"),
        ("2026-09-10", "general_meeting", "present"),
    ]
    one = api("dora").get("/api/v1/me/sections/life.attendance/")
    assert one.status_code == 200 and one.json() == sections["life.attendance"]
    # A section with nothing to show, an unknown one, and a scope section answer 404.
    for key in ("development.own", "nothing.here", "reports.due"):
        assert api("dora").get(f"/api/v1/me/sections/{key}/").status_code == 404, key
    # Without a member record: nothing; anonymous: 401.
    assert api("charlie").get("/api/v1/me/sections/").json() == []
    assert api("anonymous").get("/api/v1/me/sections/").status_code == 401
    # Each user their own: bob sees his record, not dora's.
    bob = {s["key"]: s for s in api("alice").get("/api/v1/me/sections/").json()}
    assert bob["members.record"]["data"]["name"] == "张伟"
    assert bob["life.attendance"]["data"]["counts"] == {"present": 0, "leave": 0, "absent": 0}


def probationary_account(world):  # noqa: ANN001, ANN201
    """A development file walked to admission: its person is now a probationary member with an account."""
    development = walk(world, until=StepKind.ADMISSION, name="钱预备")
    user = User.objects.create_user("qian", password="x", full_name="钱预备")
    RoleAssignment.objects.create(user=user, org=world.branch_a, role="member")
    development.member.user = user
    development.member.save(update_fields=["user"])
    return development, user


def test_a_person_in_a_development_file_sees_their_timeline_and_next_steps(world, client_for) -> None:  # noqa: ANN001
    development, user = probationary_account(world)
    text = client_for(user).get("/").content.decode()
    assert "我的入党进程" in text and "预备党员" in text
    timeline = text.split('data-own="timeline"', 1)[1].split("</ol>", 1)[0]
    for label in ("提出入党申请", "确定为入党积极分子", "确定为发展对象", "支部大会讨论接收预备党员"):
        assert label in timeline, label
    application = development.steps.get(kind=StepKind.APPLICATION)
    assert application.on.isoformat() in timeline
    # Never the committee's assessments, the political review, notes or votes.
    for private in ("培养考察", "政治审查", "上级党委预审", "表现良好", "合格", "赞成票"):
        assert private not in text, private
    nxt = text.split('data-own="next"', 1)[1].split("</ul>", 1)[0]
    assert "<li data-next=" in nxt
    data = {s["key"]: s["data"] for s in client_for(user).get("/api/v1/me/sections/").json()}
    kinds = [s["kind"] for s in data["development.own"]["steps"]]
    assert "review" not in kinds and "political_review" not in kinds and "application" in kinds
    assert data["development.own"]["stage"] == "probationary"
    assert all(set(s) == {"kind", "label", "on"} for s in data["development.own"]["steps"])
    assert data["development.own"]["next_steps"]


def test_a_file_is_shown_only_to_its_own_person(world, client_for) -> None:  # noqa: ANN001
    probationary_account(world)
    for who in (world.dora, world.alice):
        text = client_for(who).get(reverse("members:me")).content.decode()
        assert "我的入党进程" not in text and "钱预备" not in text
