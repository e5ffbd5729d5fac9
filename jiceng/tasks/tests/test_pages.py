"""The task pages: issue, inbox and home page, confirm a proposed record, answer, pass on, drill down,
remind, responsibility lists."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from jiceng.core.testing import page
from jiceng.tasks import services
from jiceng.tasks.models import Assignment, Reminder, ResponsibilityItem, Task

from .helpers import theme_day, theme_task, today

pytestmark = pytest.mark.django_db


def test_issue_form_issues_to_the_branches(world, client_for):
    c = client_for(world.county_admin)
    html = page(c.get(reverse("tasks:create")))
    assert "下达任务" in html
    r = c.post(
        reverse("tasks:create"),
        {
            "issuer": world.root.pk,
            "title": "开展主题党日",
            "deadline": (today() + dt.timedelta(days=7)).isoformat(),
            "target": "all_branches",
            "answer_kind": "meeting",
            "meeting_kind": "theme_day",
        },
    )
    task = Task.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("tasks:detail", kwargs={"pk": task.pk})
    assert task.assignments.count() == 3
    bad = c.post(
        reverse("tasks:create"),
        {
            "issuer": world.root.pk,
            "title": "x",
            "deadline": today().isoformat(),
            "target": "all_branches",
            "answer_kind": "file",
        },
    )
    assert bad.status_code == 200 and "须写明理由" in bad.content.decode()


def test_a_branch_secretary_cannot_issue(world, client_for):
    assert client_for(world.alice).get(reverse("tasks:create")).status_code == 403


def test_branch_confirms_the_meeting_it_recorded_and_the_street_sees_it_done(world, client_for):
    task = theme_task(world)
    a = task.assignments.get(org=world.branch_a)
    alice = client_for(world.alice)
    home = page(alice.get("/"))
    assert task.title in home and 'data-home="tasks"' in home
    html = page(alice.get(reverse("tasks:assignment", kwargs={"pk": a.pk})))
    assert "还没有符合要求的记录" in html
    meeting = theme_day(world)
    inbox = page(alice.get(reverse("tasks:index")))
    assert 'data-proposal="yes"' in inbox
    html = page(alice.get(reverse("tasks:assignment", kwargs={"pk": a.pk})))
    assert f'data-proposal="{meeting.pk}"' in html
    r = alice.post(reverse("tasks:confirm", kwargs={"pk": a.pk}), {"record": meeting.pk})
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.answered_on == today() and a.record_id == meeting.pk
    admin = client_for(world.county_admin)
    detail = page(admin.get(reverse("tasks:detail", kwargs={"pk": task.pk})))
    assert 'data-figure="answered">1<' in detail and 'data-figure="total">3<' in detail
    drill = page(admin.get(reverse("tasks:detail", kwargs={"pk": task.pk}) + "?org=0103"))
    assert 'data-org="010301"' in drill and 'data-org="0101"' not in drill


def test_number_answer_form(world, client_for):
    task = services.issue_task(
        actor=world.county_admin,
        issuer=world.root,
        title="报人数",
        deadline=today(),
        target="all_branches",
        answer_kind="number",
        number_label="参训人数",
    )
    a = task.assignments.get(org=world.branch_b)
    bob = client_for(world.bob)
    assert "参训人数" in page(bob.get(reverse("tasks:assignment", kwargs={"pk": a.pk})))
    bad = bob.post(reverse("tasks:answer", kwargs={"pk": a.pk}), {"number": "many"})
    assert bad.status_code == 400
    ok = bob.post(reverse("tasks:answer", kwargs={"pk": a.pk}), {"number": "12"})
    assert ok.status_code == 302
    a.refresh_from_db()
    assert a.number == 12


def test_pass_on_page_validates_the_deadline(world, client_for):
    task = theme_task(world, target="next_level", deadline=today() + dt.timedelta(days=5))
    relay = task.assignments.get(org=world.general)
    c = client_for(world.county_admin)
    url = reverse("tasks:pass_on", kwargs={"pk": relay.pk})
    page(c.get(url))
    late = c.post(url, {"deadline": (today() + dt.timedelta(days=6)).isoformat(), "target": "all_branches"})
    assert late.status_code == 200 and "不能晚于" in late.content.decode()
    ok = c.post(url, {"deadline": (today() + dt.timedelta(days=3)).isoformat(), "target": "all_branches"})
    assert ok.status_code == 302
    assert Task.objects.filter(parent=task).count() == 1


def test_remind_the_late_ones_shows_on_their_pages(world, client_for):
    task = theme_task(world, deadline=today())
    Assignment.objects.filter(task=task).update(deadline=today() - dt.timedelta(days=1))
    c = client_for(world.county_admin)
    r = c.post(reverse("tasks:remind", kwargs={"pk": task.pk}), {"org": "01", "note": "请抓紧完成"})
    assert r.status_code == 302 and Reminder.objects.count() == 3
    a = task.assignments.get(org=world.branch_b)
    html = page(client_for(world.bob).get(reverse("tasks:assignment", kwargs={"pk": a.pk})))
    assert "请抓紧完成" in html
    assert "已被督办" in page(client_for(world.bob).get("/"))


def test_responsibility_lists_top_down(world, client_for):
    services.add_responsibility(
        actor=world.county_admin, org=world.root, year=2026, content="抓好党建", post="secretary"
    )
    services.add_responsibility(
        actor=world.county_admin, org=world.general, year=2026, content="督促三会一课"
    )
    c = client_for(world.county_admin)
    html = page(c.get(reverse("tasks:responsibilities") + "?org=01&year=2026"))
    assert html.index("抓好党建") < html.index("督促三会一课")
    r = c.post(
        reverse("tasks:responsibility_add") + "?org=01&year=2026",
        {"content": "做好发展党员", "carrier": world.general.pk},
    )
    assert r.status_code == 302
    assert ResponsibilityItem.objects.filter(content="做好发展党员", carrier=world.general).exists()
    # A branch secretary reads the lists of their own subtree only.
    mine = page(client_for(world.alice).get(reverse("tasks:responsibilities") + "?year=2026"))
    assert "抓好党建" not in mine
