"""Record kinds registered by other apps (core.registry.task_record_kinds), answer withdrawal (撤回)
and the notifications a reminder (督办) sends."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from jiceng.core import registry
from jiceng.core.models import ObjectChange
from jiceng.dues import rules as dues_rules
from jiceng.dues.models import Hardship, Payment
from jiceng.members.models import Member
from jiceng.notifications.models import Notification
from jiceng.tasks import selectors, services
from jiceng.tasks.models import Assignment, TaskTally, Withdrawal, answer_kinds

from .helpers import theme_day, theme_task, today
from .test_services import recount, tallies

pytestmark = pytest.mark.django_db


def dues_task(world, **kw):  # noqa: ANN001, ANN201
    return services.issue_task(
        actor=world.county_admin,
        issuer=world.root,
        title="收齐上月党费",
        deadline=today() + dt.timedelta(days=10),
        target="all_branches",
        answer_kind="dues_month",
        **kw,
    )


def pay_month(branch, month: dt.date, paid_on: dt.date, *, skip: int = 0) -> list[Member]:  # noqa: ANN001
    """A payment for ``month`` by every member of ``branch`` who owes it (``skip`` of them left out)."""
    owing = [
        m
        for m in Member.objects.filter(org=branch)
        if dues_rules.owes(month=month, joined_on=m.joined_on, closed_on=m.closed_on)
    ]
    for m in owing[skip:]:
        Payment.objects.create(member=m, month=month, amount=Decimal("5.00"), paid_on=paid_on)
    return owing


def test_the_registered_kinds_are_offered_in_order_before_text_number_file():
    codes = [c for c, _label in answer_kinds()]
    assert codes[:3] == ["meeting", "development_step", "dues_month"]
    assert codes[-3:] == ["text", "number", "file"]


def test_a_kind_registered_by_another_app_answers_a_task_without_the_tasks_app_knowing_it(world):
    @dataclass(frozen=True)
    class Record:
        pk: int
        on: dt.date

    records = {world.branch_a.pk: [Record(7, today())]}
    registry.task_record_kinds.register(
        registry.TaskRecordKind(
            key="test_kind",
            label="测试记录",
            find=lambda org, task: [r for r in records.get(org.pk, []) if task.window_start <= r.on],
            describe=lambda r: f"测试记录{r.pk}",
            day=lambda r: r.on,
            url=lambda org, record_id: f"/x/{org.code}/{record_id}/",
        )
    )
    try:
        task = services.issue_task(
            actor=world.county_admin,
            issuer=world.root,
            title="测试",
            deadline=today() + dt.timedelta(days=3),
            target="all_branches",
            answer_kind="test_kind",
        )
        assert task.by_record and task.get_answer_kind_display() == "测试记录"
        a = task.assignments.get(org=world.branch_a)
        assert [p.label for p in selectors.proposals(a)] == ["测试记录7"]
        with pytest.raises(ValidationError):
            services.confirm_record(actor=world.alice, assignment=a, record_id=8)
        a = services.confirm_record(actor=world.alice, assignment=a, record_id=7)
        assert (a.record_kind, a.record_id, a.record_label) == ("test_kind", 7, "测试记录7")
        assert tallies(task) == recount(task)
    finally:
        registry.task_record_kinds.unregister("test_kind")


def test_a_dues_month_closed_answers_the_task_once_every_member_owing_has_settled(world):
    task = dues_task(world)
    a = task.assignments.get(org=world.branch_a)
    month = dues_rules.add_months(dues_rules.month_start(today()), -1)
    assert selectors.proposals(a) == []
    owing = pay_month(world.branch_a, month, today(), skip=1)
    assert len(owing) >= 2
    # One member has not paid: the month is not closed.
    assert services.fitting_records(task, world.branch_a) == []
    # An approved exemption settles that member's month: closed, on the approval day.
    Hardship.objects.create(
        member=owing[0],
        kind=Hardship.Kind.EXEMPTION,
        from_month=month,
        until_month=month,
        reason="生活困难",
        branch_decided_on=today(),
        committee_approved_on=today(),
    )
    [proposal] = selectors.proposals(a)
    assert proposal.pk == month.year * 100 + month.month and proposal.day == today()
    assert f"{month:%Y-%m}" in proposal.label and "免交1人" in proposal.label
    a = services.confirm_record(actor=world.alice, assignment=a, record_id=proposal.pk)
    assert a.record_kind == "dues_month" and a.answered_on == today()
    assert tallies(task) == recount(task)
    # Another branch's month is not this branch's.
    b = task.assignments.get(org=world.branch_b)
    with pytest.raises(ValidationError):
        services.confirm_record(actor=world.bob, assignment=b, record_id=proposal.pk)


def test_a_month_closed_before_the_task_was_issued_does_not_answer_it(world):
    month = dues_rules.add_months(dues_rules.month_start(today()), -2)
    pay_month(world.branch_a, month, today() - dt.timedelta(days=20))
    task = dues_task(world)
    assert services.fitting_records(task, world.branch_a) == []
    # A window the issuer set back to cover it: it answers.
    earlier = dues_task(world, window_start=today() - dt.timedelta(days=30))
    assert [r.month for r in services.fitting_records(earlier, world.branch_a)] == [month]


def test_the_dues_month_page_links_the_record(world, client):
    task = dues_task(world)
    month = dues_rules.add_months(dues_rules.month_start(today()), -1)
    pay_month(world.branch_a, month, today())
    a = task.assignments.get(org=world.branch_a)
    client.force_login(world.alice)
    page = client.get(a.get_absolute_url()).content.decode()
    assert "党费收齐" in page and "确认以此完成" in page
    services.confirm_record(actor=world.alice, assignment=a, record_id=month.year * 100 + month.month)
    page = client.get(a.get_absolute_url()).content.decode()
    assert f"/dues/branches/{world.branch_a.code}/?month={month:%Y-%m}" in page


# Withdrawal (撤回) ---------------------------------------------------------------------------------------


def test_withdrawing_an_answer_reopens_it_keeps_it_and_updates_the_counts(world):
    task = theme_task(world)
    a = task.assignments.get(org=world.branch_a)
    m = theme_day(world)
    services.confirm_record(actor=world.alice, assignment=a, record_id=m.pk)
    assert TaskTally.objects.get(root=task, org=world.root).answered == 1
    with pytest.raises(ValidationError) as e:
        services.withdraw(actor=world.alice, assignment=a, reason="错")
    assert "reason" in e.value.message_dict
    with pytest.raises(Http404):
        services.withdraw(actor=world.bob, assignment=a, reason="选错了会议")
    with pytest.raises(PermissionDenied):
        services.withdraw(actor=world.viewer, assignment=a, reason="选错了会议")
    w = services.withdraw(actor=world.alice, assignment=a, reason="选错了会议")
    a.refresh_from_db()
    assert a.answered_on is None and a.record_id is None and a.record_label == ""
    assert (w.record_id, w.answered_on, w.withdrawn_by, w.reason) == (
        m.pk,
        today(),
        world.alice,
        "选错了会议",
    )
    root = TaskTally.objects.get(root=task, org=world.root)
    assert (root.answered, root.open) == (0, 3)
    assert tallies(task) == recount(task)
    assert ObjectChange.objects.filter(message__contains="选错了会议").exists()
    # Open again: answered again, and withdrawn again is refused only when there is nothing to withdraw.
    services.confirm_record(actor=world.alice, assignment=a, record_id=m.pk)
    assert tallies(task) == recount(task)
    services.withdraw(actor=world.alice, assignment=a, reason="再次撤回测试")
    with pytest.raises(ValidationError):
        services.withdraw(actor=world.alice, assignment=a, reason="没有可撤回的")
    assert Withdrawal.objects.filter(assignment=a).count() == 2


def test_no_withdrawal_after_the_deadline_nor_of_a_pass_on(world):
    task = services.issue_task(
        actor=world.county_admin,
        issuer=world.root,
        title="报数",
        deadline=today() + dt.timedelta(days=2),
        target="next_level",
        answer_kind="number",
        number_label="人数",
    )
    a = task.assignments.get(org=world.branch_a)
    services.answer(actor=world.alice, assignment=a, number="12")
    # The deadline day itself: still allowed (checked as of that day); the day after: refused.
    with pytest.raises(ValidationError) as e:
        services.withdraw(
            actor=world.alice, assignment=a, reason="数字有误", today=a.deadline + dt.timedelta(days=1)
        )
    assert "期限" in e.value.message_dict["reason"][0]
    w = services.withdraw(actor=world.alice, assignment=a, reason="数字有误", today=a.deadline)
    assert w.number == Decimal("12.00")
    relay = task.assignments.get(org=world.general)
    services.pass_on(
        actor=world.county_admin,
        assignment=relay,
        deadline=task.deadline,
        target="all_branches",
    )
    with pytest.raises(ValidationError):
        services.withdraw(actor=world.county_admin, assignment=relay, reason="不转办了")
    assert tallies(task) == recount(task)


def test_withdraw_page_and_api(world, client):
    task = services.issue_task(
        actor=world.county_admin,
        issuer=world.root,
        title="报告",
        deadline=today() + dt.timedelta(days=2),
        target="all_branches",
        answer_kind="text",
    )
    a = task.assignments.get(org=world.branch_a)
    services.answer(actor=world.alice, assignment=a, text="已完成")
    client.force_login(world.alice)
    page = client.get(a.get_absolute_url()).content.decode()
    assert 'id="withdraw-form"' in page
    r = client.post(f"/tasks/assignments/{a.pk}/withdraw/", {"reason": ""})
    assert r.status_code == 400
    r = client.post(f"/tasks/assignments/{a.pk}/withdraw/", {"reason": "内容需要补充"})
    assert r.status_code == 302
    page = client.get(a.get_absolute_url()).content.decode()
    assert "内容需要补充" in page and 'data-withdrawal="' in page and 'id="answer-form"' in page
    # The API: answer again, withdraw, read the withdrawals.
    api = f"/api/v1/tasks/assignments/{a.pk}/"
    assert (
        client.post(api + "answer/", {"text": "补充后"}, content_type="application/json").status_code == 200
    )
    r = client.post(api + "withdraw/", {"reason": "还要再改"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "open" and r.json()["text"] == ""
    assert [w["reason"] for w in client.get(api + "withdrawals/").json()] == ["还要再改", "内容需要补充"]
    r = client.post(api + "withdraw/", {"reason": "还要再改"}, content_type="application/json")
    assert r.status_code == 400 and "reason" in r.json()["errors"]
    client.force_login(world.viewer)
    assert (
        client.post(api + "withdraw/", {"reason": "查看者撤回"}, content_type="application/json").status_code
        == 403
    )
    assert tallies(task) == recount(task)


# Reminders tell people (notifications) -------------------------------------------------------------------


def test_a_reminder_notifies_the_late_branch_secretary_only(world, django_capture_on_commit_callbacks):
    task = theme_task(world, deadline=today())
    Assignment.objects.filter(task=task).update(deadline=today() - dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        n = services.remind(actor=world.county_admin, task=task, node=world.root, note="请抓紧")
    assert n == 3
    rows = list(Notification.objects.filter(event_key="tasks.reminded"))
    # alice (0101's secretary) and bob (0102's); 010301 has no account; the sender, the viewer and a
    # member of the branch are not told.
    assert sorted(r.user.username for r in rows) == ["alice", "bob"]
    alice = next(r for r in rows if r.user == world.alice)
    a = task.assignments.get(org=world.branch_a)
    assert (
        "开展主题党日" in alice.text
        and "请抓紧" in alice.text
        and alice.link.endswith(f"/tasks/assignments/{a.pk}/")
    )
    assert alice.org_path == world.branch_a.path


def test_the_issue_form_and_api_offer_the_registered_kinds(world, client):
    client.force_login(world.county_admin)
    page = client.get("/tasks/new/").content.decode()
    assert 'value="dues_month"' in page and "一个月的党费收齐" in page
    body = {
        "issuer": world.root.code,
        "title": "收齐党费",
        "deadline": (today() + dt.timedelta(days=5)).isoformat(),
        "target": "all_branches",
        "answer_kind": "dues_month",
    }
    r = client.post("/api/v1/tasks/", body, content_type="application/json")
    assert r.status_code == 201 and r.json()["answer_kind"] == "dues_month"
    assert r.json()["window_start"] == today().isoformat()
    r = client.post(
        "/api/v1/tasks/", {**body, "answer_kind": "no_such_kind"}, content_type="application/json"
    )
    assert r.status_code == 400 and "answer_kind" in r.json()["errors"]


def test_absurd_ids_answer_nothing_not_a_server_error(world, client):
    client.force_login(world.county_admin)
    huge = "302214885141022440343331596425656008704"
    r = client.get(f"/api/v1/tasks/assignments/?task={huge}&open=false")
    assert r.status_code == 200 and r.json()["results"] == []
    assert client.get("/api/v1/tasks/assignments/?task=99999999999999999999").json()["results"] == []
