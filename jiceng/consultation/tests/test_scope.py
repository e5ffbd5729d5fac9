"""Every page and endpoint of consultation answers by scope, for every named user; and a partner
unit's contact, who holds no organization role, reaches the topics where their unit takes part.

The objects: 和平社区 (alice's branch) decided a topic; its tree has an item owned by the community and
one by a partner unit; an update carries a resident's comment. bob (新华村), charlie (no role) and dora
(a member, no subtree) see none of it (404); the viewer sees it and changes nothing (403).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from jiceng.consultation import services
from jiceng.consultation.models import Comment
from jiceng.core.scope import CHANGE
from jiceng.core.testing import Case, coverage_test, scope_test

from .conftest import decided_topic


def _topic(world):  # noqa: ANN001, ANN202
    if not hasattr(world, "topic"):
        world.topic = decided_topic(world)
        world.item = services.add_item(
            actor=world.alice, topic=world.topic, title="划线", owner_org=world.branch_a
        )
        world.update = services.update_item(actor=world.alice, item=world.item, progress=50, text="进行中")
        world.comment = services.comment(update=world.update, verdict="partly", text="还没划完")
    return world.topic


def topic(world):  # noqa: ANN001, ANN201
    return {"pk": _topic(world).pk}


def item(world):  # noqa: ANN001, ANN201
    _topic(world)
    return {"pk": world.item.pk}


def comment(world):  # noqa: ANN001, ANN201
    _topic(world)
    return {"pk": world.comment.pk}


def branch_a(world):  # noqa: ANN001, ANN201
    return world.branch_a


CASES = [
    Case("consultation:index"),
    Case("consultation:index", query="status=decided"),
    Case("consultation:topic_new", action=CHANGE),
    Case("consultation:topic", topic, org=branch_a),
    Case("consultation:notice", topic, org=branch_a, action=CHANGE),
    Case("consultation:notice", topic, org=branch_a, action=CHANGE, method="post", ok=(200,)),
    Case("consultation:meeting", topic, org=branch_a, action=CHANGE),
    Case("consultation:item_new", topic, org=branch_a, action=CHANGE),
    Case("consultation:item", item, org=branch_a),
    Case("consultation:item", item, org=branch_a, action=CHANGE, method="post", ok=(200,)),
    Case("consultation:milestone_new", item, org=branch_a, action=CHANGE, method="post", ok=(302,)),
    Case("consultation:comment_hide", comment, org=branch_a, action=CHANGE, method="post", ok=(302,)),
    # API
    Case("api-consultation-topic-list"),
    Case("api-consultation-topic-list", method="post", action=CHANGE, ok=(400,)),
    Case("api-consultation-topic-detail", topic, org=branch_a),
    Case("api-consultation-topic-notice", topic, org=branch_a, action=CHANGE, method="post", ok=(400,)),
    Case("api-consultation-topic-meeting", topic, org=branch_a, action=CHANGE, method="post", ok=(400,)),
    Case("api-consultation-topic-items", topic, org=branch_a, action=CHANGE, method="post", ok=(400,)),
    Case("api-consultation-item-list"),  # always empty: items are read through their topic
    Case("api-consultation-item-detail", item, org=branch_a),
    Case("api-consultation-item-updates", item, org=branch_a, action=CHANGE, method="post", ok=(400,)),
    Case("api-consultation-item-milestones", item, org=branch_a, action=CHANGE, method="post", ok=(400,)),
    Case("api-consultation-comment-list"),  # always empty
    Case("api-consultation-comment-hide", comment, org=branch_a, action=CHANGE, method="post", ok=(400,)),
]

test_scope = scope_test(CASES)
test_every_page_has_a_case = coverage_test("consultation", CASES)
test_every_endpoint_has_a_case = coverage_test("api-consultation", CASES)


@pytest.mark.django_db
def test_the_public_page_needs_no_account_and_shows_only_public_topics(world):
    from jiceng.core.testing import USERS

    t = _topic(world)
    url = reverse("consultation_public:topic", args=[t.pk])
    for who in USERS:
        client = Client()
        if who != "anonymous":
            client.force_login(getattr(world, who))
        assert client.get(url).status_code == 200
    closed = services.open_topic(actor=world.alice, org=world.branch_a, title="未公告", source="committee")
    assert Client().get(reverse("consultation_public:topic", args=[closed.pk])).status_code == 404
    assert Client().get(reverse("consultation_public:topic", args=[99999])).status_code == 404


@pytest.mark.django_db
def test_a_partner_units_contact_sees_the_topics_where_the_unit_takes_part(world, liaison):
    t = _topic(world)
    own = services.add_item(actor=world.alice, topic=t, title="巡查", owner_partner=world.partner)
    other = decided_topic(world)  # the unit takes no part in this one
    client = Client()
    client.force_login(liaison)
    api = APIClient()
    api.force_login(liaison)
    assert client.get(reverse("consultation:topic", args=[t.pk])).status_code == 200
    assert client.get(reverse("consultation:topic", args=[other.pk])).status_code == 404
    assert client.get(reverse("consultation:topic_new")).status_code == 403
    assert client.get(reverse("consultation:notice", args=[t.pk])).status_code == 403
    assert api.get(reverse("api-consultation-topic-detail", args=[other.pk])).status_code == 404
    listed = api.get(reverse("api-consultation-topic-list")).json()
    assert [r["id"] for r in listed["results"]] == [t.pk]
    # Their unit's item: updates allowed; the community's own item: refused.
    r = api.post(
        reverse("api-consultation-item-updates", args=[own.pk]),
        {"progress": 30, "text": "已巡查"},
        format="json",
    )
    assert r.status_code == 201
    r = api.post(
        reverse("api-consultation-item-updates", args=[world.item.pk]),
        {"progress": 30, "text": "x"},
        format="json",
    )
    assert r.status_code == 403
    assert (
        api.post(
            reverse("api-consultation-comment-hide", args=[world.comment.pk]), {"reason": "x"}, format="json"
        ).status_code
        == 403
    )
    assert Comment.objects.filter(hidden=True).count() == 0
    # A notice naming the unit lets its contact see the topic as well.
    noticed = services.open_topic(actor=world.alice, org=world.branch_a, title="公告点名", source="committee")
    assert client.get(reverse("consultation:topic", args=[noticed.pk])).status_code == 404
    services.publish_notice(
        actor=world.alice,
        topic=noticed,
        meeting_on=noticed.opened_on,
        meeting_place="x",
        groups=["liaisons"],
        partners=[world.partner],
    )
    assert client.get(reverse("consultation:topic", args=[noticed.pk])).status_code == 200
