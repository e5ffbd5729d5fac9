"""A record's change history names what its foreign keys point to (党支部, 主持人, 记录人) and its
authors by their full names; a name the reader may not see reads "（无权查看）"."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jiceng.core.models import ObjectChange
from jiceng.core.selectors import history_page
from jiceng.core.testing import page
from jiceng.life import services as life
from jiceng.members.models import Member


def test_a_meetings_history_names_the_branch_the_people_and_the_author(world: Any, client_for: Any) -> None:
    zhang, wang, li = world.members_a[:3]
    meeting = life.record_meeting(
        actor=world.county_admin,
        org=world.branch_a,
        kind="theme_day",
        held_on=dt.date(2026, 11, 3),
        topic="学习党章",
        host=zhang,
        recorder=wang,
    )
    life.update_meeting(actor=world.alice, meeting=meeting, recorder=li)
    text = page(client_for(world.alice).get(reverse("life:detail", kwargs={"pk": meeting.pk})))
    history = text[text.index("jc-history") :]
    assert "和平社区党支部" in history and "张伟" in history and "王芳" in history and "李娜" in history
    assert (
        f'<ins class="text-decoration-none"><span class="visually-hidden">修改后 </span>{zhang.pk}</ins>'
        not in history
    )
    assert "街道组织委员" in history and ">county<" not in history  # full names, not logins
    assert "<td>张伟</td>" in history  # alice's full name


def test_a_name_out_of_the_readers_scope_is_withheld(world: Any) -> None:
    member = world.members_a[0]
    ObjectChange.objects.create(
        user=world.county_admin,
        user_name="county",
        action="update",
        content_type=ContentType.objects.get_for_model(Member),
        object_id=member.pk,
        object_repr=member.name,
        org_path=world.branch_a.path,
        prechange_data={"org": world.branch_b.pk},
        postchange_data={"org": world.branch_a.pk},
    )
    [change] = [
        c for c in history_page(world.alice, member) if c.prechange_data == {"org": world.branch_b.pk}
    ]
    [(label, before, after)] = change.diff_display()
    assert (before, after) == ("（无权查看）", "和平社区党支部")
    [change] = [
        c for c in history_page(world.county_admin, member) if c.prechange_data == {"org": world.branch_b.pk}
    ]
    assert change.diff_display()[0][1:] == ("新华村党支部", "和平社区党支部")
    assert change.user_label == "街道组织委员"


def test_names_cost_one_query_per_related_model(world: Any) -> None:
    zhang, wang = world.members_a[:2]
    meeting = None
    for day in range(1, 11):
        meeting = life.record_meeting(
            actor=world.county_admin,
            org=world.branch_a,
            kind="theme_day",
            held_on=dt.date(2026, 10, day),
            topic=f"第{day}次",
            host=zhang,
            recorder=wang,
        )
    assert meeting is not None
    with CaptureQueriesContext(connection) as few:
        history_page(world.alice, meeting)
    assert len(few.captured_queries) <= 6, [q["sql"] for q in few.captured_queries]
