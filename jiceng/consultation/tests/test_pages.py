"""The pages clicked through: open a topic, publish the notice, record the meeting, build the tree,
update it; the public page with a resident's verdict, its limits and moderation. Every page passes the
CSP and label checks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from jiceng.consultation import services
from jiceng.consultation.models import Comment, Item, Meeting, Topic, TopicStatus
from jiceng.core.testing import page

from .conftest import decided_topic, today

pytestmark = pytest.mark.django_db


def test_a_consultation_from_the_pages(world, client_for, liaison):
    c = client_for(world.alice)
    page(c.get(reverse("consultation:index")), one_h1=True)
    page(c.get(reverse("consultation:topic_new")), one_h1=True)
    r = c.post(
        reverse("consultation:topic_new"),
        {"org": world.branch_a.pk, "title": "小区停车", "source": "residents", "proposed_by": "居民代表"},
    )
    topic = Topic.objects.get()
    assert r.status_code == 302 and topic.status == TopicStatus.OPEN
    html = page(c.get(reverse("consultation:topic", args=[topic.pk])), one_h1=True)
    assert "发布协商公告" in html
    page(c.get(reverse("consultation:notice", args=[topic.pk])), one_h1=True)
    day = today()
    r = c.post(
        reverse("consultation:notice", args=[topic.pk]),
        {
            "noticed_on": day.isoformat(),
            "meeting_on": day.isoformat(),
            "meeting_place": "议事厅",
            "groups": ["representatives", "liaisons"],
            "partners": [world.partner.pk],
        },
    )
    assert r.status_code == 302
    html = page(c.get(reverse("consultation:topic", args=[topic.pk])), one_h1=True)
    assert "华联超市" in html and "请推迟会议或重新公告" in html  # noticed the same day: too short
    page(c.get(reverse("consultation:meeting", args=[topic.pk])), one_h1=True)
    r = c.post(
        reverse("consultation:meeting", args=[topic.pk]),
        {
            "held_on": day.isoformat(),
            "place": "议事厅",
            "representatives": "7",
            "liaisons": "1",
            "minutes": "讨论停车位划线",
            "options": "划线\n收费",
            "decision": "划线并由超市出资",
            "voted": "on",
            "votes_for": "6",
            "votes_against": "1",
            "votes_abstain": "1",
            "members": [world.members_a[2].pk],
        },
    )
    assert r.status_code == 302
    meeting = Meeting.objects.get()
    assert (
        meeting.total == 8 and meeting.votes_for == 6 and list(meeting.members.all()) == [world.members_a[2]]
    )
    page(c.get(reverse("consultation:item_new", args=[topic.pk])), one_h1=True)
    r = c.post(
        reverse("consultation:item_new", args=[topic.pk]),
        {
            "title": "划线",
            "owner_partner": world.partner.pk,
            "weight": "2",
            "milestones": f"{day.isoformat()} 采购油漆",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    item = Item.objects.get()
    assert item.owner_partner == world.partner and item.milestones.count() == 1
    # The partner unit's contact sees the topic and updates the item its unit owns.
    lc = Client()
    lc.force_login(liaison)
    page(lc.get(reverse("consultation:topic", args=[topic.pk])), one_h1=True)
    page(lc.get(reverse("consultation:item", args=[item.pk])), one_h1=True)
    r = lc.post(reverse("consultation:item", args=[item.pk]), {"progress": "100", "text": "划线完成"})
    assert r.status_code == 302
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DONE
    html = page(c.get(reverse("consultation:topic", args=[topic.pk])), one_h1=True)
    assert 'data-topic-progress="100.0"' in html


def test_the_public_page_shows_no_personal_data_and_takes_a_residents_word(world, client):
    topic = decided_topic(world)
    item = services.add_item(actor=world.alice, topic=topic, title="划线", owner_org=world.branch_a)
    update = services.update_item(actor=world.alice, item=item, progress=100, text="已划线")
    url = reverse("consultation_public:topic", args=[topic.pk])
    html = page(client.get(url), one_h1=True)
    assert "划定车位" in html and "已划线" in html and "和平社区党支部" in html
    for secret in ("张三", "王芳", "会议记录"):
        assert secret not in html
    r = client.post(
        url, {"update": update.pk, f"u{update.pk}-verdict": "carried", f"u{update.pk}-text": "看到了"}
    )
    assert r.status_code == 302
    c = Comment.objects.get()
    assert c.verdict == "carried"
    html = page(client.get(url))
    assert "看到了" in html and 'data-verdict="carried"' in html
    # A robot filling the honeypot is refused.
    r = client.post(
        url, {"update": update.pk, f"u{update.pk}-verdict": "carried", f"u{update.pk}-website": "x"}
    )
    assert r.status_code == 400
    # Moderation: hidden with a reason, gone from the public page.
    staff = Client()
    staff.force_login(world.alice)
    page(staff.get(reverse("consultation:item", args=[item.pk])), one_h1=True)
    staff.post(reverse("consultation:comment_hide", args=[c.pk]), {"reason": "含个人信息"})
    c.refresh_from_db()
    assert c.hidden and c.hidden_reason == "含个人信息"
    assert "看到了" not in client.get(url).content.decode()


def test_the_public_page_limits_one_address(world, client, settings):
    settings.SERVICE_INTAKE_CAPTCHA_AFTER = 1
    settings.SERVICE_INTAKE_LIMIT = 2
    topic = decided_topic(world)
    item = services.add_item(actor=world.alice, topic=topic, title="划线", owner_org=world.branch_a)
    update = services.update_item(actor=world.alice, item=item, progress=50, text="进行中")
    url = reverse("consultation_public:topic", args=[topic.pk])
    data = {"update": update.pk, f"u{update.pk}-verdict": "partly"}
    assert client.post(url, data).status_code == 302
    # After one comment the arithmetic question is asked; a wrong answer is refused.
    html = page(client.get(url))
    assert "请计算" in html
    assert client.post(url, {**data, f"u{update.pk}-answer": "99"}).status_code == 200
    assert Comment.objects.count() == 1
    services.comment(update=update, verdict="partly", client_address="127.0.0.1")
    r = client.post(url, data)
    assert r.status_code == 429 and r["Retry-After"] == "3600"


def test_an_unnoticed_topic_has_no_public_page(world, client):
    topic = services.open_topic(actor=world.alice, org=world.branch_a, title="x", source="committee")
    assert client.get(reverse("consultation_public:topic", args=[topic.pk])).status_code == 404


def test_the_public_section_partial(world):
    from django.template.loader import render_to_string

    from jiceng.consultation.selectors import public_topics

    topic = decided_topic(world)
    services.add_item(actor=world.alice, topic=topic, title="划线", owner_org=world.branch_a)
    html = render_to_string(
        "consultation/_public_section.html",
        {"ctx": {"consultation_topics": public_topics(world.branch_a, today().year)}},
    )
    assert "楼前停车整治" in html and reverse("consultation_public:topic", args=[topic.pk]) in html
    assert "张三" not in html


def test_the_public_community_page_shows_the_years_topics_after_the_request_form(world, client):
    cache.clear()
    topic = decided_topic(world)
    url = reverse("community:page", args=[world.branch_a.code]) + f"?year={topic.decided_on.year}"
    last_year = reverse("community:page", args=[world.branch_a.code]) + f"?year={topic.noticed_on.year - 1}"
    assert 'data-public-section="consultation.topics"' not in client.get(last_year).content.decode()
    services.add_item(actor=world.alice, topic=topic, title="划线", owner_org=world.branch_a)
    text = client.get(url).content.decode()
    assert text.index('data-public-section="services.intake"') < text.index(
        'data-public-section="consultation.topics"'
    )
    assert reverse("consultation_public:topic", args=[topic.pk]) in text and "楼前停车整治" in text
    assert "张三" not in text  # the meeting's named participants never reach the public page
    # Another community's page does not list it.
    other = reverse("community:page", args=[world.branch_b.code]) + f"?year={topic.decided_on.year}"
    assert "楼前停车整治" not in client.get(other).content.decode()
    cache.clear()
    assert dt.date.today().year
