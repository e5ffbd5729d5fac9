"""Issuing, answering, passing on and reminding, with the maintained counts checked against a recount."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from jiceng.core.models import ObjectChange
from jiceng.tasks import services
from jiceng.tasks.models import Assignment, Reminder, TaskTally

from .helpers import theme_day, theme_task, today

pytestmark = pytest.mark.django_db


def recount(root) -> dict[str, tuple]:  # noqa: ANN001
    """The tallies of a task tree computed afresh from its assignments."""
    out: dict[str, Counter] = {}
    day = today()
    for a in Assignment.objects.filter(root=root):
        for end in range(len(root.issuer_path), len(a.org_path), 4):
            c = out.setdefault(a.org_path[:end], Counter())
            if a.relay:
                c["relays"] += 1
                c["relays_passed"] += a.answered_on is not None
            else:
                c["total"] += 1
                c["answered"] += a.answered_on is not None
                c["answered_late"] += a.late
                c["late_open"] += a.answered_on is None and a.deadline < day
    return {
        p: tuple(c[k] for k in ("total", "answered", "answered_late", "relays", "relays_passed", "late_open"))
        for p, c in out.items()
    }


def tallies(root) -> dict[str, tuple]:  # noqa: ANN001
    day = today()
    return {
        t.org_path: (t.total, t.answered, t.answered_late, t.relays, t.relays_passed, t.late_open(day))
        for t in TaskTally.objects.filter(root=root)
    }


def test_issue_to_all_branches_reaches_each_branch_once_and_counts_every_level(world):
    task = theme_task(world)
    orgs = set(Assignment.objects.filter(task=task).values_list("org__code", flat=True))
    assert orgs == {"0101", "0102", "010301"}
    assert task.root_id == task.pk and task.assigned == 3
    t = tallies(task)
    assert t[world.root.path][:2] == (3, 0)
    assert t[world.general.path][:2] == (1, 0)
    assert t == recount(task)
    assert ObjectChange.objects.filter(object_repr=task.title, action="create").exists()


def test_targets_unit_kind_chosen_and_next_level(world):
    by_kind = theme_task(world, target="unit_kind", unit_kind="village")
    assert list(by_kind.assignments.values_list("org__code", flat=True)) == ["0102"]
    chosen = theme_task(world, target="chosen", chosen=["0101", "010301"])
    assert set(chosen.assignments.values_list("org__code", flat=True)) == {"0101", "010301"}
    nxt = theme_task(world, target="next_level")
    rows = {a.org.code: a.relay for a in nxt.assignments.select_related("org")}
    assert rows == {"0101": False, "0102": False, "0103": True}
    with pytest.raises(ValidationError) as e:
        theme_task(world, target="chosen", chosen=["0103", "9999"])
    assert "chosen" in e.value.message_dict


def test_refusals_name_the_field(world):
    with pytest.raises(ValidationError) as e:
        services.issue_task(
            actor=world.county_admin,
            issuer=world.root,
            title="",
            deadline=today() - dt.timedelta(days=1),
            target="all_branches",
            answer_kind="file",
        )
    assert {"title", "deadline", "file_reason"} <= set(e.value.message_dict)
    assert not Assignment.objects.exists()
    with pytest.raises(ValidationError):
        services.issue_task(
            actor=world.alice,
            issuer=world.branch_a,
            title="x",
            deadline=today(),
            target="all_branches",
            answer_kind="text",
        )


def test_scope_of_issuing(world):
    with pytest.raises(Http404):
        services.issue_task(
            actor=world.bob,
            issuer=world.general,
            title="x",
            deadline=today(),
            target="all_branches",
            answer_kind="text",
        )
    with pytest.raises(PermissionDenied):
        services.issue_task(
            actor=world.viewer,
            issuer=world.root,
            title="x",
            deadline=today(),
            target="all_branches",
            answer_kind="text",
        )


def test_a_record_made_after_the_task_answers_it_with_one_confirmation(world):
    task = theme_task(world)
    a = task.assignments.get(org=world.branch_a)
    before = theme_day(world, held_on=today() - dt.timedelta(days=3))  # before the window: not proposed
    assert services.fitting_meetings(task, world.branch_a.pk).count() == 0
    meeting = theme_day(world)
    assert list(services.fitting_meetings(task, world.branch_a.pk)) == [meeting]
    with pytest.raises(ValidationError):
        services.confirm_record(actor=world.alice, assignment=a, record_id=before.pk)
    with pytest.raises(PermissionDenied):
        services.confirm_record(actor=world.viewer, assignment=a, record_id=meeting.pk)
    done = services.confirm_record(actor=world.alice, assignment=a, record_id=meeting.pk)
    assert done.answered_on == today() and not done.late and done.record_id == meeting.pk
    assert meeting.topic in done.record_label
    with pytest.raises(ValidationError):
        services.confirm_record(actor=world.alice, assignment=a, record_id=meeting.pk)
    t = tallies(task)
    assert t[world.root.path][:2] == (3, 1)
    assert t == recount(task)


def test_keyword_and_kind_must_fit(world):
    task = theme_task(world, topic_keyword="党史")
    theme_day(world, topic="学习贯彻主题党日")
    assert not services.fitting_meetings(task, world.branch_a.pk).exists()
    m = theme_day(world, topic="党史学习主题党日")
    assert list(services.fitting_meetings(task, world.branch_a.pk)) == [m]
    assert not services.fitting_meetings(task, world.branch_b.pk).exists()


def test_text_number_and_file_answers(world):
    text = services.issue_task(
        actor=world.county_admin,
        issuer=world.root,
        title="t",
        deadline=today(),
        target="all_branches",
        answer_kind="text",
    )
    a = text.assignments.get(org=world.branch_a)
    with pytest.raises(ValidationError):
        services.answer(actor=world.alice, assignment=a, text="  ")
    assert services.answer(actor=world.alice, assignment=a, text="已完成").text == "已完成"
    number = services.issue_task(
        actor=world.county_admin,
        issuer=world.root,
        title="n",
        deadline=today(),
        target="all_branches",
        answer_kind="number",
        number_label="参训人数",
    )
    b = number.assignments.get(org=world.branch_b)
    with pytest.raises(ValidationError):
        services.answer(actor=world.bob, assignment=b, number="十二")
    assert services.answer(actor=world.bob, assignment=b, number="12").number == 12
    files = services.issue_task(
        actor=world.county_admin,
        issuer=world.root,
        title="f",
        deadline=today(),
        target="all_branches",
        answer_kind="file",
        file_reason="上级要求报送原件扫描",
    )
    c = files.assignments.get(org=world.branch_a)
    photo = SimpleUploadedFile("合影.jpg", b"\xff\xd8\xff\xe0" + b"0" * 40, content_type="image/jpeg")
    with pytest.raises(ValidationError) as e:
        services.answer(actor=world.alice, assignment=c, file=photo)
    assert "照片" in e.value.message_dict["file"][0]
    disguised = SimpleUploadedFile(
        "报告.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 40, content_type="application/pdf"
    )
    with pytest.raises(ValidationError):
        services.answer(actor=world.alice, assignment=c, file=disguised)
    pdf = SimpleUploadedFile("报告.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    done = services.answer(actor=world.alice, assignment=c, file=pdf)
    assert done.file_name == "报告.pdf" and done.file


def test_pass_on_within_the_parent_deadline_and_counts_under_the_root(world):
    task = theme_task(world, target="next_level", deadline=today() + dt.timedelta(days=10))
    relay = task.assignments.get(org=world.general)
    with pytest.raises(ValidationError) as e:
        services.pass_on(
            actor=world.county_admin,
            assignment=relay,
            deadline=today() + dt.timedelta(days=11),
            target="all_branches",
        )
    assert "deadline" in e.value.message_dict
    with pytest.raises(ValidationError):  # a branch's assignment is answered, not passed on
        services.pass_on(
            actor=world.county_admin,
            assignment=task.assignments.get(org=world.branch_a),
            deadline=today(),
            target="all_branches",
        )
    child = services.pass_on(
        actor=world.county_admin,
        assignment=relay,
        deadline=today() + dt.timedelta(days=10),
        target="all_branches",
        instructions="财政所支部按时完成",
    )
    assert child.parent_id == task.pk and child.root_id == task.pk and child.title == task.title
    assert child.meeting_kind == "theme_day"
    relay.refresh_from_db()
    assert relay.answered_on == today()
    t = tallies(task)
    assert t[world.root.path] == (3, 0, 0, 1, 1, 0)
    assert t == recount(task)
    with pytest.raises(ValidationError):
        services.pass_on(actor=world.county_admin, assignment=relay, deadline=today(), target="all_branches")


def test_late_answers_and_reminders(world):
    task = theme_task(world, deadline=today())
    Assignment.objects.filter(task=task).update(deadline=today() - dt.timedelta(days=2))
    task.refresh_from_db()
    # The issue-time counts hold the old deadline: move them as the service would have.
    TaskTally.objects.filter(root=task).update(open_due={})
    for t in TaskTally.objects.filter(root=task):
        t.open_due = {(today() - dt.timedelta(days=2)).isoformat(): t.total}
        t.save()
    a = task.assignments.get(org=world.branch_a)
    m = theme_day(world)
    assert services.confirm_record(actor=world.alice, assignment=a, record_id=m.pk).late
    with pytest.raises(PermissionDenied):
        services.remind(actor=world.viewer, task=task, node=world.root)
    n = services.remind(actor=world.county_admin, task=task, node=world.root, note="请抓紧")
    assert n == 2
    assert set(Reminder.objects.values_list("assignment__org__code", flat=True)) == {"0102", "010301"}
    assert tallies(task) == recount(task)
    assert tallies(task)[world.root.path] == (3, 1, 1, 0, 0, 2)


def test_responsibility_items(world):
    item = services.add_responsibility(
        actor=world.county_admin,
        org=world.root,
        year=2026,
        content="抓好党建",
        carrier=world.general,
        post="secretary",
    )
    assert item.list.org == world.root and item.position == 1
    with pytest.raises(ValidationError):
        services.add_responsibility(
            actor=world.county_admin, org=world.general, year=2026, content="x", carrier=world.branch_a
        )
    with pytest.raises(PermissionDenied):
        services.add_responsibility(actor=world.viewer, org=world.root, year=2026, content="x")
    services.remove_responsibility(actor=world.county_admin, item=item)
    assert not item.list.items.exists()
