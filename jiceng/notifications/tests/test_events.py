"""The events the apps publish today: a secretary's post changing hands, a role granted, a development
step coming due, a new finding on a branch; and the header's unread count."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from jiceng.accounts import services as accounts
from jiceng.core import events
from jiceng.notifications.models import Notification


def of(user, key):
    return list(Notification.objects.filter(user=user, event_key=key))


def test_a_role_granted_tells_the_account_that_got_it(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        accounts.grant_role(actor=world.county_admin, user=world.bob, org=world.branch_a, role="viewer")
    [n] = of(world.bob, "accounts.role_granted")
    assert "和平社区党支部" in n.text and "查看者" in n.text
    assert Notification.objects.filter(event_key="accounts.role_granted").count() == 1


def test_a_secretary_change_tells_the_administrators_over_the_branch(
    world, django_capture_on_commit_callbacks
):
    from jiceng.accounts.models import AdminNotice, SecretaryHolder

    # The branch's holder was alice's member record; the recorded secretary is now someone else.
    SecretaryHolder.objects.update_or_create(
        org=world.branch_a, defaults={"member": world.members_a[0], "user": world.alice}
    )
    notice = AdminNotice.objects.create(
        org=world.branch_a,
        org_path=world.branch_a.path,
        kind=AdminNotice.Kind.SECRETARY_CHANGED,
        outgoing_name="张伟",
        incoming_name="王芳",
    )
    with django_capture_on_commit_callbacks(execute=True):
        accounts._notify(notice)
    [n] = of(world.county_admin, "accounts.secretary_changed")
    assert "书记由张伟变为王芳" in n.text and "尚无账号" in n.text
    assert n.link == reverse("accounts:users")
    assert {x.user_id for x in Notification.objects.filter(event_key="accounts.secretary_changed")} == {
        world.county_admin.pk
    }


def test_development_steps_coming_due_are_announced_once_to_the_branch_secretary(
    world, django_capture_on_commit_callbacks
):
    from jiceng.development import notices
    from jiceng.development import services as development
    from jiceng.development.tests.helpers import person

    today = dt.date(2026, 6, 1)
    # Applied 3 weeks ago: the talk is due within a month (in ~9 days): inside the 14 days ahead.
    development.apply(actor=world.alice, org=world.branch_a, on=today - dt.timedelta(days=21), **person(1))
    development.apply(actor=world.bob, org=world.branch_b, on=today - dt.timedelta(days=2), **person(2))
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.announce_due_steps(today) == 1
    with django_capture_on_commit_callbacks(execute=True):
        notices.announce_due_steps(today + dt.timedelta(days=1))  # the same due step: not again
    [n] = of(world.alice, notices.STEP_DUE)
    assert "申请人1" in n.text and "谈话" in n.text and not n.text.startswith("已逾期")
    assert of(world.bob, notices.STEP_DUE) == []
    assert of(world.county_admin, notices.STEP_DUE) == []  # the branch's secretary only


def test_new_findings_after_a_refresh_reach_the_branch_secretary_once(
    world, django_capture_on_commit_callbacks
):
    from jiceng.reports import notices, store
    from jiceng.reports.models import StoredFinding

    period = store.compliance.parse_period("2025-Q1")
    run = store.run_for(world.root, period)
    by_path = {f.org_path for f in StoredFinding.objects.filter(run=run)}
    assert world.branch_a.path in by_path  # the test world records no meetings: findings everywhere
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.announce_run(run, today=dt.date(2026, 6, 1)) == 0  # a past period: old news
    assert not Notification.objects.filter(event_key=notices.FINDING_NEW).exists()
    with django_capture_on_commit_callbacks(execute=True):
        notices.announce_run(run, today=dt.date(2025, 3, 20))
    first = Notification.objects.filter(event_key=notices.FINDING_NEW).count()
    mine = of(world.alice, notices.FINDING_NEW)
    assert mine and all(n.org_path == world.branch_a.path for n in mine)
    assert StoredFinding.objects.filter(run=run, org_path=world.branch_a.path).count() == len(mine)
    assert of(world.county_admin, notices.FINDING_NEW) == [] and of(world.charlie, notices.FINDING_NEW) == []
    with django_capture_on_commit_callbacks(execute=True):
        rerun = store.evaluate_and_store(world.root, period)  # stored again: nothing new
        notices.announce_run(rerun, today=dt.date(2025, 3, 20))
    assert Notification.objects.filter(event_key=notices.FINDING_NEW).count() == first


def test_the_refresh_task_announces_the_run_it_stored(world, django_capture_on_commit_callbacks):
    from jiceng.reports import notices, store, tasks

    today = timezone.localdate()
    period = store.compliance.parse_period(f"{today.year}-Q{(today.month - 1) // 3 + 1}")
    store.request_refresh(world.branch_b, period)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.refresh_compliance.call(world.branch_b.pk, period.label)
    assert of(world.bob, notices.FINDING_NEW)


def badge(response):
    """(count, hidden) of the header's unread badge."""
    m = re.search(r'<span id="jc-unread" class="([^"]*)"[^>]*>(\d+)</span>', response.content.decode())
    return m.group(2), "d-none" in m.group(1)


def test_the_header_shows_the_unread_count(world, client_for, django_capture_on_commit_callbacks):
    client = client_for(world.alice)
    assert badge(client.get(reverse("home"))) == ("0", True)
    with django_capture_on_commit_callbacks(execute=True):
        events.publish_many(
            "development.step_due",
            [
                {
                    "org_path": world.branch_a.path,
                    "context": {
                        "rule": "dev.talk_within_month",
                        "file": 1,
                        "name": "某某",
                        "due_on": "2026-06-10",
                    },
                    "dedupe_key": f"k{i}",
                }
                for i in range(3)
            ],
        )
    assert badge(client.get(reverse("home"))) == ("3", False)
    assert badge(client_for(world.bob).get(reverse("home"))) == ("0", True)


def test_the_unread_count_costs_one_query(world, django_assert_num_queries):
    from jiceng.notifications.services import unread_flag

    with django_assert_num_queries(1):
        unread_flag(world.alice)


def test_the_daily_command_announces_and_sends_digests(world, settings, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core import mail
    from django.core.management import call_command

    from jiceng.development import services as development
    from jiceng.development.tests.helpers import person
    from jiceng.notifications import services

    settings.EMAIL_ENABLED = True
    world.alice.email = "alice@example.org"
    world.alice.save()
    services.set_preferences(user=world.alice, choices={("development.step_due", "digest"): True})
    day = dt.date(2026, 6, 1)
    development.apply(actor=world.alice, org=world.branch_a, on=day - dt.timedelta(days=40), **person(1))
    out = StringIO()
    # In production the command runs in autocommit: each announcement is delivered at once, before the
    # digests. A test runs inside a transaction, so the delivery waits for the block's end here.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notifications", "daily", "--day", day.isoformat(), stdout=out)
    assert "due steps: 1" in out.getvalue()
    [n] = of(world.alice, "development.step_due")
    assert n.text.startswith("已逾期：") and n.digest_pending
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]  # the e-mail (on by default)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notifications", "digest", "--day", day.isoformat(), stdout=out)
        call_command("notifications", "daily", "--day", day.isoformat(), stdout=StringIO())
    assert "digests sent: 1" in out.getvalue()
    assert len(mail.outbox) == 2 and "每日汇总" in mail.outbox[1].subject
    assert len(of(world.alice, "development.step_due")) == 1  # announced once
