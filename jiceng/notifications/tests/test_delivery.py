"""Events reach only users in scope, through the channels each chose, once per dedupe key."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.core import events
from jiceng.core.models import RoleAssignment
from jiceng.notifications import services
from jiceng.notifications.models import Announced, Notification, Preference

from . import fakes

KEY = "tests.something"
USERS = ["county_admin", "alice", "bob", "dora", "viewer", "charlie", "sysadmin"]
ORGS = ["root", "branch_a", "branch_b", "general", "branch_c"]


@pytest.fixture(autouse=True)
def event_type():
    events.register(
        events.EventType(
            key=KEY,
            title="测试通知",
            recipients=lambda e: events.role_holders(e.org_path, ["org_admin", "secretary"]),
            inbox=lambda e: events.Message(text=f"发生了{e.context.get('what', '')}", link="/"),
            sms=lambda e: "短信",
        )
    )
    yield
    events.event_types.unregister(KEY)


def publish(capture, **kwargs):
    with capture(execute=True):
        events.publish(KEY, **kwargs)


def told(key=KEY):
    return {n.user.username for n in Notification.objects.filter(event_key=key).select_related("user")}


def test_the_resolver_reaches_the_secretary_and_the_admins_above(world, django_capture_on_commit_callbacks):
    publish(django_capture_on_commit_callbacks, org_path=world.branch_a.path, context={"what": "甲"})
    assert told() == {"alice", "county"}
    n = Notification.objects.get(user=world.alice)
    assert n.text == "发生了甲" and n.unread and n.title == "测试通知"


def test_nothing_is_delivered_before_the_write_commits(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        events.publish(KEY, org_path=world.branch_a.path)
    assert Notification.objects.count() == 0 and len(callbacks) == 1


def test_named_recipients_outside_the_scope_get_nothing(world, django_capture_on_commit_callbacks):
    everyone = [getattr(world, u) for u in USERS]
    publish(django_capture_on_commit_callbacks, org_path=world.branch_b.path, recipients=everyone)
    # bob (secretary of b), the county admin and the viewer hold a role on b or above; alice, dora,
    # charlie and the system administrator do not.
    assert told() == {"bob", "county", "viewer"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    org=st.sampled_from(ORGS),
    named=st.sets(st.sampled_from(USERS)),
    grants=st.lists(st.tuples(st.sampled_from(["charlie", "dora"]), st.sampled_from(ORGS)), max_size=3),
)
def test_only_users_with_a_role_on_the_organization_or_above_are_told(world, org, named, grants):
    Notification.objects.all().delete()
    made = [
        RoleAssignment.objects.get_or_create(user=getattr(world, u), org=getattr(world, o), role="viewer")[0]
        for u, o in grants
    ]
    try:
        target = getattr(world, org)
        users = [getattr(world, u) for u in named]
        services.deliver(
            [events.Event(key=KEY, org_path=target.path, context={}, recipients=tuple(u.pk for u in users))]
        )
        allowed = {
            u.username
            for u in users
            if RoleAssignment.objects.filter(
                user=u, org__path__in=[target.path[:i] for i in range(1, len(target.path) + 1)]
            ).exists()
        }
        assert told() == allowed
    finally:
        for a in made:
            a.delete()


def test_an_inactive_user_is_not_told(world, django_capture_on_commit_callbacks):
    world.alice.is_active = False
    world.alice.save()
    publish(django_capture_on_commit_callbacks, org_path=world.branch_a.path)
    assert told() == {"county"}


def test_the_same_dedupe_key_is_delivered_once(world, django_capture_on_commit_callbacks):
    for _ in range(2):
        publish(django_capture_on_commit_callbacks, org_path=world.branch_a.path, dedupe_key="step:1")
    publish(django_capture_on_commit_callbacks, org_path=world.branch_a.path, dedupe_key="step:2")
    assert Notification.objects.filter(user=world.alice).count() == 2
    assert Announced.objects.count() == 2
    # Twice in one batch: once.
    with django_capture_on_commit_callbacks(execute=True):
        events.publish_many(KEY, [{"org_path": world.branch_a.path, "dedupe_key": "step:3"}] * 2)
    assert Notification.objects.filter(user=world.alice).count() == 3


def test_a_failing_subscriber_never_reaches_the_publisher(world, django_capture_on_commit_callbacks):
    def broken(batch):
        raise RuntimeError("boom")

    events.subscribe(broken)
    try:
        publish(django_capture_on_commit_callbacks, org_path=world.branch_a.path)
        events.publish("no.such.event", org_path=world.branch_a.path)
    finally:
        events.unsubscribe(broken)
    assert told() == {"alice", "county"}


def test_a_user_who_turned_the_inbox_off_gets_no_inbox_row(world, django_capture_on_commit_callbacks):
    services.set_preferences(user=world.alice, choices={(KEY, "inbox"): False})
    publish(django_capture_on_commit_callbacks, org_path=world.branch_a.path)
    assert told() == {"county"}


def test_email_is_sent_in_a_background_job_to_those_who_chose_it(
    world, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_ENABLED = True
    world.alice.email = "alice@example.org"
    world.alice.save()
    world.county_admin.email = "county@example.org"
    world.county_admin.save()
    services.set_preferences(user=world.alice, choices={(KEY, "email"): True})
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        events.publish(KEY, org_path=world.branch_a.path, context={"what": "乙"})
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]  # the county admin kept the default: off
    assert mail.outbox[0].subject == "测试通知" and "发生了乙" in mail.outbox[0].body
    assert len(callbacks) >= 2  # delivery, then the e-mail task queued after delivery committed


def test_no_email_when_smtp_is_not_configured(world, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_ENABLED = False
    world.alice.email = "alice@example.org"
    world.alice.save()
    Preference.objects.create(user=world.alice, event_key=KEY, channel="email", enabled=True)
    publish(django_capture_on_commit_callbacks, org_path=world.branch_a.path)
    assert mail.outbox == []


def test_sms_goes_through_the_configured_sender_to_opted_in_users_with_a_phone(
    world, settings, django_capture_on_commit_callbacks
):
    settings.SMS_SENDER = "jiceng.notifications.tests.fakes.FakeSms"
    fakes.SENT.clear()
    services.set_preferences(user=world.alice, choices={(KEY, "sms"): True})
    services.set_preferences(user=world.county_admin, choices={(KEY, "sms"): True})  # but no phone
    services.set_phone(user=world.alice, phone="13800001111")
    services.set_phone(user=world.bob, phone="13800002222")  # a phone, but not told (branch a)
    publish(django_capture_on_commit_callbacks, org_path=world.branch_a.path)
    assert fakes.SENT == [("13800001111", "短信")]


def test_a_bad_phone_is_refused(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.set_phone(user=world.alice, phone="call me")


def test_the_daily_digest_is_sent_once_a_day(world, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_ENABLED = True
    world.alice.email = "alice@example.org"
    world.alice.save()
    services.set_preferences(user=world.alice, choices={(KEY, "digest"): True, (KEY, "inbox"): False})
    publish(django_capture_on_commit_callbacks, org_path=world.branch_a.path, context={"what": "一"})
    publish(django_capture_on_commit_callbacks, org_path=world.branch_a.path, context={"what": "二"})
    assert Notification.objects.filter(user=world.alice, inbox=True).count() == 0
    day = dt.date(2026, 6, 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_digests(day=day) == 1
    assert len(mail.outbox) == 1 and "发生了一" in mail.outbox[0].body and "发生了二" in mail.outbox[0].body
    publish(django_capture_on_commit_callbacks, org_path=world.branch_a.path, context={"what": "三"})
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_digests(day=day) == 0  # one a day
        assert services.send_digests(day=day + dt.timedelta(days=1)) == 1
    assert len(mail.outbox) == 2 and "发生了三" in mail.outbox[1].body


def test_preferences_refuse_unknown_types_and_save_nothing(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.set_preferences(user=world.alice, choices={(KEY, "inbox"): False, ("nope", "inbox"): True})
    assert not Preference.objects.exists()


def test_mark_read_touches_only_the_users_own(world, django_capture_on_commit_callbacks):
    publish(django_capture_on_commit_callbacks, org_path=world.branch_a.path)
    mine = Notification.objects.get(user=world.alice)
    theirs = Notification.objects.get(user=world.county_admin)
    assert services.mark_read(user=world.alice, notification_ids=[mine.pk, theirs.pk]) == 1
    theirs.refresh_from_db()
    assert theirs.unread and services.unread_count(world.alice) == 0


def test_a_batched_block_hands_its_events_over_once_and_drops_them_on_error(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, events.batched():
        for i in range(5):
            events.publish(KEY, org_path=world.branch_a.path, context={"what": i})
    assert len(callbacks) == 1 and Notification.objects.filter(user=world.alice).count() == 5
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        events.batched(),
    ):
        events.publish(KEY, org_path=world.branch_a.path)
        raise RuntimeError
    assert callbacks == [] and Notification.objects.filter(user=world.alice).count() == 5
