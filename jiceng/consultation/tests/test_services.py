"""The consultation from topic to results through the services, and their refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from jiceng.consultation import selectors, services
from jiceng.consultation.models import Comment, ItemStatus, TopicStatus

from .conftest import decided_topic, today

pytestmark = pytest.mark.django_db


def test_a_topic_goes_from_notice_to_done(world, liaison):
    topic = decided_topic(world, partner=world.partner)
    assert topic.status == TopicStatus.DECIDED and topic.decided_on is not None
    a = services.add_item(actor=world.alice, topic=topic, title="划线", owner_org=world.branch_a, weight=1)
    b = services.add_item(actor=world.alice, topic=topic, title="巡查", owner_partner=world.partner, weight=3)
    assert selectors.tree_of(topic).progress == 0
    services.update_item(actor=world.alice, item=a, progress=100, text="已划线")
    # The partner unit's contact updates the leaf its unit owns; not the other.
    with pytest.raises(PermissionDenied):
        services.update_item(actor=liaison, item=a, progress=50, text="x")
    services.update_item(actor=liaison, item=b, progress=50, text="巡查中")
    assert selectors.tree_of(topic).progress == pytest.approx((100 * 1 + 50 * 3) / 4, abs=0.05)
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DECIDED
    last = services.update_item(actor=liaison, item=b, progress=100, text="巡查常态化")
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DONE and topic.done_on == today()
    assert selectors.decided_between(world.branch_a, topic.decided_on, topic.decided_on)
    assert not selectors.decided_between(world.branch_b, topic.decided_on, topic.decided_on)
    assert not selectors.decided_between(
        world.branch_a, today() + dt.timedelta(days=1), today() + dt.timedelta(days=9)
    )
    c = services.comment(update=last, verdict="carried", text="好", client_address="10.0.0.1")
    assert c.address_digest and c.address_digest != "10.0.0.1"
    with pytest.raises(PermissionDenied):
        services.hide_comment(actor=world.bob, comment=c, reason="广告")
    services.hide_comment(actor=world.alice, comment=c, reason="含个人信息")
    c.refresh_from_db()
    assert c.hidden and c.hidden_reason == "含个人信息" and c.hidden_by == world.alice
    # The public reads leave the hidden comment out.
    shown = [u for n in selectors.tree_of(topic, public=True).flat() for u in n.item.updates.all()]
    assert all(not list(u.comments.all()) for u in shown)
    assert [t.pk for t in selectors.public_topics(world.branch_a, today().year)] == [topic.pk]
    assert selectors.public_topics(world.branch_b, today().year) == []


def test_the_meeting_is_recorded_once_and_steps_keep_their_order(world):
    topic = services.open_topic(actor=world.alice, org=world.branch_a, title="议题", source="committee")
    with pytest.raises(ValidationError):
        services.record_meeting(
            actor=world.alice, topic=topic, held_on=today(), place="x", minutes="m", counts={"others": 1}
        )
    with pytest.raises(ValidationError) as e:
        services.publish_notice(
            actor=world.alice,
            topic=topic,
            meeting_on=today() - dt.timedelta(days=1),
            meeting_place="x",
            groups=["members"],
        )
    assert "meeting_on" in e.value.message_dict
    services.publish_notice(
        actor=world.alice, topic=topic, meeting_on=today(), meeting_place="x", groups=["members"]
    )
    with pytest.raises(ValidationError):
        services.add_item(actor=world.alice, topic=topic, title="x", owner_org=world.branch_a)
    with pytest.raises(ValidationError) as e:
        services.record_meeting(
            actor=world.alice,
            topic=topic,
            held_on=today(),
            place="x",
            minutes="m",
            counts={"others": 1},
            votes={"votes_for": 5},
        )
    assert "votes_for" in e.value.message_dict
    services.record_meeting(
        actor=world.alice, topic=topic, held_on=today(), place="x", minutes="m", counts={"others": 1}
    )
    topic.refresh_from_db()
    assert topic.status == TopicStatus.MET and topic.decided_on is None
    with pytest.raises(ValidationError):
        services.record_meeting(
            actor=world.alice, topic=topic, held_on=today(), place="x", minutes="m", counts={"others": 1}
        )


def test_who_may_open_a_topic_and_build_the_tree(world):
    with pytest.raises(Http404):
        services.open_topic(actor=world.bob, org=world.branch_a, title="x", source="committee")
    with pytest.raises(ValidationError):
        services.open_topic(actor=world.county_admin, org=world.branch_c, title="x", source="committee")
    # A street (党工委) consults too.
    services.open_topic(actor=world.county_admin, org=world.root, title="街道议题", source="committee")
    topic = decided_topic(world)
    with pytest.raises(ValidationError):
        services.add_item(actor=world.alice, topic=topic, title="无责任单位")
    parent = services.add_item(actor=world.alice, topic=topic, title="上级", owner_org=world.branch_a)
    leaf = services.add_item(
        actor=world.alice, topic=topic, title="下级", parent=parent, owner_org=world.branch_a
    )
    with pytest.raises(ValidationError):
        services.update_item(actor=world.alice, item=parent, progress=10, text="x")
    with pytest.raises(ValidationError):
        services.update_item(actor=world.alice, item=leaf, progress=100, status=ItemStatus.ONGOING, text="x")
    services.update_item(actor=world.alice, item=leaf, progress=40, text="x")
    with pytest.raises(ValidationError):
        services.add_item(actor=world.alice, topic=topic, title="再分", parent=leaf, owner_org=world.branch_a)
    with pytest.raises(ValidationError):
        services.update_item(
            actor=world.alice, item=leaf, progress=50, text="x", on=today() - dt.timedelta(days=1)
        )
    assert Comment.objects.count() == 0
